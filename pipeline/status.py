"""What the steward and the submission service see without touching the live warehouse: a status snapshot
written after every change to the submissions (ingestion, a gate's hold-back, pin, unpin, accept; the changes are
pipeline.states).

DuckDB locks even read-only openers out while a load writes, so `kkm2 status`, `kkm2 versions` and `kkm2 serve`
read the snapshot in `KKM2_HOME/status/`. One snapshot is one generation: a folder `snapshot.<n>/` with a Parquet
file per part (PARTS), written whole before the link `status/snapshot` is atomically replaced to point at it. A
reader resolves the link once and reads every part from that folder, so the parts it reads always belong
together; the generation before stays until the next write, for a reader that is still at it.

The parts, each with kommunekode and aar: the versions with each dataset's state (SNAPSHOT), the findings of each
submission's newest and active version, at most FINDINGS_PER_RULE per rule and severity (FINDINGS), every rule's
and severity's totals of those versions with how many findings were left out (FINDING_COUNTS), and the gate
results of the newest gate run that checked the municipality-year (GATES)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path

from pipeline.settings import Home, connect
from pipeline.validation.core import FINDING_COLUMNS

SNAPSHOT = "indberetninger.parquet"
FINDINGS = "fund.parquet"
FINDING_COUNTS = "fund_optalt.parquet"
GATES = "gate_resultater.parquet"
LINK = "snapshot"  # -> snapshot.<n>/, the current generation
VERSIONS = "versioner.json"  # (kommunekode, aar, version, status, aktiv): a build sensor watches this file
FINDINGS_PER_RULE = 100  # per version, rule and severity; the rest are counted (FINDING_COUNTS.udeladt)

# The versions whose findings the snapshot carries: each submission's newest version and its active one.
FINDING_VERSIONS_SQL = """
SELECT kommunekode, aar, max(version) AS version FROM audit.submissions GROUP BY kommunekode, aar
UNION
SELECT kommunekode, aar, version FROM audit.active_submissions
"""
# One row per submission version and dataset, with the dataset's state from audit.dataset_states.
SNAPSHOT_SQL = """
SELECT s.kommunekode, s.aar, s.version, s.oprettet_tid, s.status,
       a.version IS NOT NULL AS aktiv,
       p.version IS NOT NULL AS fastlaast,
       f.version IS NOT NULL AS med_fund,  -- the snapshot carries the version's findings (FINDINGS)
       d.dataset, d.tilstand, d.raekker_modtaget, d.raekker_accepteret, d.raekker_afvist,
       d.raekker_sprunget_over, d.advarsler
FROM audit.submissions s
LEFT JOIN audit.active_submissions a USING (kommunekode, aar, version)
LEFT JOIN audit.pins p USING (kommunekode, aar, version)
LEFT JOIN _fundversioner f USING (kommunekode, aar, version)
JOIN audit.dataset_states d USING (kommunekode, aar, version)
ORDER BY s.kommunekode, s.aar, s.version, d.dataset
"""
# Each version's findings per rule and severity: how many (fund: rows of audit.findings; antal: what they count,
# as a finding may stand for several rows), how many are left out of the snapshot, and the rowids of the kept
# ones, the first by row number (a top-N aggregate: one pass, no sort of a file's million findings).
FINDING_GROUPS_SQL = f"""
SELECT kommunekode, aar, version, regel, alvorlighed, count(*) AS fund, sum(antal)::BIGINT AS antal,
       greatest(count(*) - {FINDINGS_PER_RULE}, 0) AS udeladt,
       min_by(rowid, coalesce(raekke, -1), {FINDINGS_PER_RULE}) AS kept
FROM audit.findings SEMI JOIN _fundversioner USING (kommunekode, aar, version)
GROUP BY ALL
"""
FINDING_ORDER = (
    "dataset NULLS FIRST, fil NULLS FIRST, ark NULLS FIRST, raekke NULLS FIRST, regel, kolonne, besked"
)
FINDINGS_SQL = f"""
SELECT kommunekode, aar, version, {FINDING_COLUMNS}
FROM audit.findings
WHERE rowid IN (SELECT unnest(kept) FROM _fundgrupper)
ORDER BY kommunekode, aar, version, {FINDING_ORDER}
"""
FINDING_COUNTS_SQL = """
SELECT kommunekode, aar, version, regel, alvorlighed, fund, antal, udeladt FROM _fundgrupper ORDER BY ALL
"""
# The newest gate run's results per municipality-year ('nationalt' rows are nobody's submission).
GATES_SQL = """
SELECT kommunekode, aar, koersel, tid, version, gate, kontrol, status, evalueret, antal, besked, eksempler
FROM audit.gate_results
SEMI JOIN (SELECT DISTINCT kommunekode, aar FROM audit.submissions) USING (kommunekode, aar)
QUALIFY koersel = arg_max(koersel, tid) OVER (PARTITION BY kommunekode, aar)
ORDER BY kommunekode, aar, gate, kontrol, tid
"""
PARTS = {SNAPSHOT: SNAPSHOT_SQL, FINDINGS: FINDINGS_SQL, FINDING_COUNTS: FINDING_COUNTS_SQL, GATES: GATES_SQL}


def status_dir(home: Home) -> Path:
    return home.root / "status"


def write_snapshot(con, home: Home) -> None:
    """Write the status snapshot from the live warehouse (called by the writer that changed it)."""
    folder = status_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / LINK
    previous = os.readlink(link) if link.is_symlink() else None
    generation = f"{LINK}.{time.time_ns()}.{os.getpid()}"
    (folder / generation).mkdir()
    con.execute(f"CREATE OR REPLACE TEMP TABLE _fundversioner AS {FINDING_VERSIONS_SQL}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _fundgrupper AS {FINDING_GROUPS_SQL}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _status AS {SNAPSHOT_SQL}")
    for part, sql in PARTS.items():
        source = "_status" if part == SNAPSHOT else f"({sql})"
        con.execute(f"COPY {source} TO '{folder / generation / part}' (FORMAT parquet)")
    versions = con.execute(
        "SELECT DISTINCT kommunekode, aar, version, status, aktiv FROM _status ORDER BY ALL"
    ).fetchall()
    con.execute("DROP TABLE _status")
    con.execute("DROP TABLE _fundgrupper")
    con.execute("DROP TABLE _fundversioner")
    tmp_link = folder / f".{LINK}.{os.getpid()}"
    tmp_link.unlink(missing_ok=True)
    tmp_link.symlink_to(generation)
    os.replace(tmp_link, link)
    # older generations (and one a writer died in before linking it), but not the one a reader may be reading
    for old in folder.glob(f"{LINK}.*"):
        if old.name not in (generation, previous):
            shutil.rmtree(old, ignore_errors=True)
    (folder / SNAPSHOT).unlink(missing_ok=True)  # the single file of before generations
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
    """The versions' rows (one per version and dataset) of the current snapshot that match `where`."""
    return read_parts(home, {SNAPSHOT: (where, params or [])})[SNAPSHOT]


def read_submission(home: Home, kommunekode: str, aar: int) -> dict[str, list[dict]]:
    """A municipality-year's rows of every part (PARTS) of the current snapshot, all of one generation."""
    where = ("kommunekode = ? AND aar = ?", [kommunekode, aar])
    return read_parts(home, dict.fromkeys(PARTS, where))


class _Gone(Exception):
    """The generation was removed while it was read (two newer snapshots were written meanwhile)."""


def read_parts(home: Home, queries: dict[str, tuple[str, list]]) -> dict[str, list[dict]]:
    for _ in range(5):
        try:
            return _read_generation(home, queries)
        except _Gone:
            continue
    return _read_generation(home, queries)


def _read_generation(home: Home, queries: dict[str, tuple[str, list]]) -> dict[str, list[dict]]:
    folder = status_dir(home)
    try:
        generation = folder / os.readlink(folder / LINK)
    except (FileNotFoundError, OSError):
        generation = folder  # a snapshot of before generations: one file, SNAPSHOT, or none yet
    con = connect()
    try:
        out = {}
        for part, (where, params) in queries.items():
            path = generation / part
            if not path.exists():
                if generation != folder:
                    raise _Gone(path)
                out[part] = []
                continue
            try:
                cur = con.execute(f"SELECT * FROM read_parquet('{path}') WHERE {where}", params)
            except Exception as e:  # removed between the look and the read
                if not path.exists():
                    raise _Gone(path) from e
                raise
            names = [d[0] for d in cur.description]
            out[part] = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        return out
    finally:
        con.close()
