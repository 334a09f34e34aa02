"""What the steward sees without touching the live warehouse: a status snapshot written after every change
to the submissions (ingestion, pin, unpin, accept), and the steward's own actions (pin, unpin).

DuckDB locks even read-only openers out while a load writes, so `kkm2 status` and `kkm2 versions` read the
snapshot files in `KKM2_HOME/status/`, which are replaced atomically (written beside, then renamed)."""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from pathlib import Path

from pipeline.settings import Home, connect

SNAPSHOT = "indberetninger.parquet"
VERSIONS = "versioner.json"  # (kommunekode, aar, version, status, aktiv): a build sensor watches this file

SNAPSHOT_SQL = """
SELECT s.kommunekode, s.aar, s.version, s.oprettet_tid, s.status,
       a.version IS NOT NULL AS aktiv,
       p.version IS NOT NULL AS fastlaast,
       d.dataset, d.raekker_modtaget, d.raekker_accepteret, d.raekker_afvist, d.raekker_sprunget_over,
       d.advarsler
FROM audit.submissions s
LEFT JOIN audit.active_submissions a USING (kommunekode, aar, version)
LEFT JOIN audit.pins p USING (kommunekode, aar, version)
LEFT JOIN audit.submission_datasets d USING (kommunekode, aar, version)
ORDER BY s.kommunekode, s.aar, s.version, d.dataset
"""


def status_dir(home: Home) -> Path:
    return home.root / "status"


def write_snapshot(con, home: Home) -> None:
    """Write the status snapshot from the live warehouse (called by the writer that changed it)."""
    folder = status_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{SNAPSHOT}.{os.getpid()}"
    con.execute(f"CREATE OR REPLACE TEMP TABLE _status AS {SNAPSHOT_SQL}")
    con.execute(f"COPY _status TO '{tmp}' (FORMAT parquet)")
    os.replace(tmp, folder / SNAPSHOT)
    versions = con.execute(
        "SELECT DISTINCT kommunekode, aar, version, status, aktiv FROM _status ORDER BY ALL"
    ).fetchall()
    con.execute("DROP TABLE _status")
    text = json.dumps([list(v) for v in versions])
    target = folder / VERSIONS
    if not target.exists() or target.read_text() != text:
        tmpj = folder / f".{VERSIONS}.{os.getpid()}"
        tmpj.write_text(text)
        os.replace(tmpj, target)


def versions_fingerprint(home: Home) -> str:
    p = status_dir(home) / VERSIONS
    return hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else ""


def read_snapshot(home: Home, where: str = "TRUE", params: list | None = None) -> list[dict]:
    path = status_dir(home) / SNAPSHOT
    if not path.exists():
        return []
    con = connect()
    try:
        cur = con.execute(f"SELECT * FROM read_parquet('{path}') WHERE {where}", params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


def who() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user in a container
        return os.environ.get("USER", "ukendt")


class StewardError(Exception):
    """A Danish message for the steward: the action was refused and nothing changed."""


def pin(con, kommunekode: str, aar: int, version: int, reason: str | None, user: str | None = None) -> None:
    """Make an archived version active until unpinned, whatever the landing folder holds now."""
    row = con.execute(
        "SELECT status FROM audit.submissions WHERE kommunekode = ? AND aar = ? AND version = ?",
        [kommunekode, aar, version],
    ).fetchall()
    if not row:
        raise StewardError(f"{kommunekode}/{aar} har ingen version {version} (se `kkm2 versions`).")
    if row[0][0] != "godkendt":
        raise StewardError(
            f"Version {version} af {kommunekode}/{aar} har status '{row[0][0]}' og kan ikke gøres aktiv; "
            "kun en version, der har bestået kontrollerne, kan fastlåses."
        )
    user = user or who()
    con.execute("BEGIN TRANSACTION")
    con.execute("DELETE FROM audit.pins WHERE kommunekode = ? AND aar = ?", [kommunekode, aar])
    con.execute(
        "INSERT INTO audit.pins VALUES (?, ?, ?, ?, now(), ?)", [kommunekode, aar, version, user, reason]
    )
    con.execute(
        "INSERT INTO audit.steward_log VALUES ('fastlaas', ?, ?, ?, ?, now(), ?)",
        [kommunekode, aar, version, user, reason],
    )
    con.execute("COMMIT")


def unpin(con, kommunekode: str, aar: int, reason: str | None, user: str | None = None) -> int | None:
    """Remove a pin: the newest version that passed its gates is active again. Returns the unpinned version."""
    row = con.execute(
        "SELECT version FROM audit.pins WHERE kommunekode = ? AND aar = ?", [kommunekode, aar]
    ).fetchall()
    if not row:
        raise StewardError(f"{kommunekode}/{aar} er ikke fastlåst.")
    user = user or who()
    con.execute("BEGIN TRANSACTION")
    con.execute("DELETE FROM audit.pins WHERE kommunekode = ? AND aar = ?", [kommunekode, aar])
    con.execute(
        "INSERT INTO audit.steward_log VALUES ('frigiv', ?, ?, ?, ?, now(), ?)",
        [kommunekode, aar, row[0][0], user, reason],
    )
    con.execute("COMMIT")
    return row[0][0]


def accept(con, kommunekode: str, aar: int, reason: str, user: str | None = None) -> int:
    """Accept the pending warning of a submission's newest version (gate 2: a volume drop): it becomes the
    active version. Recorded with who, when and why. Returns the version."""
    if not reason or not reason.strip():
        raise StewardError("Angiv en begrundelse (--reason); den gemmes sammen med hvem og hvornår.")
    row = con.execute(
        "SELECT version FROM audit.submissions WHERE kommunekode = ? AND aar = ? AND status = 'afventer_godkendelse' "
        "ORDER BY version DESC LIMIT 1",
        [kommunekode, aar],
    ).fetchall()
    if not row:
        raise StewardError(f"{kommunekode}/{aar} har ingen version, der venter på godkendelse.")
    v = row[0][0]
    user = user or who()
    con.execute("BEGIN TRANSACTION")
    con.execute(
        "UPDATE audit.submissions SET status = 'godkendt' WHERE kommunekode = ? AND aar = ? AND version = ?",
        [kommunekode, aar, v],
    )
    con.execute(
        "INSERT INTO audit.steward_log VALUES ('accepter', ?, ?, ?, ?, now(), ?)",
        [kommunekode, aar, v, user, reason],
    )
    con.execute("COMMIT")
    return v
