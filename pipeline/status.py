"""What the steward sees without touching the live warehouse: a status snapshot written after every change
to the submissions (ingestion, a gate's hold-back, pin, unpin, accept; the changes are pipeline.states).

DuckDB locks even read-only openers out while a load writes, so `kkm2 status` and `kkm2 versions` read the
snapshot files in `KKM2_HOME/status/`, which are replaced atomically (written beside, then renamed)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from pipeline.settings import Home, connect

SNAPSHOT = "indberetninger.parquet"
VERSIONS = "versioner.json"  # (kommunekode, aar, version, status, aktiv): a build sensor watches this file

# One row per submission version and dataset, with the dataset's state from audit.dataset_states.
SNAPSHOT_SQL = """
SELECT s.kommunekode, s.aar, s.version, s.oprettet_tid, s.status,
       a.version IS NOT NULL AS aktiv,
       p.version IS NOT NULL AS fastlaast,
       d.dataset, d.tilstand, d.raekker_modtaget, d.raekker_accepteret, d.raekker_afvist,
       d.raekker_sprunget_over, d.advarsler
FROM audit.submissions s
LEFT JOIN audit.active_submissions a USING (kommunekode, aar, version)
LEFT JOIN audit.pins p USING (kommunekode, aar, version)
JOIN audit.dataset_states d USING (kommunekode, aar, version)
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
