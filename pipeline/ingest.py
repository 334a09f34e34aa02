"""Ingestion of submissions: find them in the landing folder, archive the original bytes, make a new
version when the files changed, validate (gate 1), and load the accepted rows into `raw` with lineage.

A submission is (municipality, year): every file under `landing/<kommunekode>/<aar>/`."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipeline.contract import codes as code_lists
from pipeline.contract.datasets import DATASETS
from pipeline.contract.profiles import Profile
from pipeline.quality import gx_gate
from pipeline.settings import Home
from pipeline.text import canonical_kommunekode, da_number
from pipeline.timing import stage
from pipeline.validator import SubmissionFile, ValidationResult, validate_files
from pipeline.warehouse import LINEAGE_COLUMNS, ensure_schema


@dataclass
class Submission:
    kommunekode: str
    aar: int
    files: list[SubmissionFile] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # Danish, submission-level errors
    klar: bool = False  # a `.klar` marker: the contributor says the folder is complete as it is


READY_MARKER = ".klar"
# When more than this share of a submission's files vanish at once (an unmounted share, a mistaken move),
# nothing is removed until the contributor confirms the folder with a `.klar` marker.
MASS_REMOVAL_SHARE = 0.5


def mass_removal(previous: list[str], current: list[str], klar: bool) -> str | None:
    """The Danish message when most of a submission's files vanished at once, else None."""
    removed = set(previous) - set(current)
    if klar or len(previous) < 2 or len(removed) <= MASS_REMOVAL_SHARE * len(previous):
        return None
    return (
        f"{len(removed)} af {len(previous)} filer er forsvundet på én gang ({', '.join(sorted(removed)[:5])}"
        f"{' …' if len(removed) > 5 else ''}). Intet er fjernet; er det meningen, så læg en tom fil "
        f"'{READY_MARKER}' i mappen."
    )


@dataclass
class LandingProblem:
    path: str
    besked: str


def discover(landing: Path) -> tuple[dict[tuple[str, int], Submission], list[LandingProblem]]:
    """All submissions under `landing/`. `101/` and `0101/` are the same municipality."""
    subs: dict[tuple[str, int], Submission] = {}
    problems: list[LandingProblem] = []
    if not landing.exists():
        return subs, problems
    valid = set(code_lists.codes("kommunekode"))
    folders: dict[tuple[str, int, str], set[str]] = {}
    for kdir in sorted(p for p in landing.iterdir() if p.is_dir()):
        k = canonical_kommunekode(kdir.name)
        if k is None or k not in valid:
            problems.append(
                LandingProblem(
                    kdir.name,
                    f"Mappen '{kdir.name}' er ikke en af de 98 kommunekoder; dens filer er ikke indlæst.",
                )
            )
            continue
        for ydir in sorted(p for p in kdir.iterdir() if p.is_dir()):
            if not (ydir.name.isdigit() and len(ydir.name) == 4):
                problems.append(
                    LandingProblem(
                        f"{kdir.name}/{ydir.name}", f"Mappen '{ydir.name}' er ikke et årstal (4 cifre)."
                    )
                )
                continue
            sub = subs.setdefault((k, int(ydir.name)), Submission(k, int(ydir.name)))
            sub.klar = sub.klar or (ydir / READY_MARKER).exists()
            for f in sorted(ydir.rglob("*")):
                if f.is_file() and not f.name.startswith(".") and not f.name.startswith("~$"):
                    sf = SubmissionFile(f, f.relative_to(ydir).as_posix())
                    sub.files.append(sf)
                    if sf.dataset:
                        folders.setdefault((k, int(ydir.name), sf.dataset), set()).add(kdir.name)
    for (k, aar, ds), names in folders.items():
        if len(names) > 1:
            subs[(k, aar)].problems.append(
                f"Datasættet {ds} ligger i både {' og '.join(n + '/' for n in sorted(names))}; det er samme "
                "kommune. Læg filerne i én mappe."
            )
    return subs, problems


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


class FileHashes:
    """sha256 of landing files, remembered by (path, size, mtime_ns) in the home folder, so a file that did not
    change is not read again (the landing sensor trusts size and mtime the same way). Only writers use it."""

    def __init__(self, home: Home):
        self.path = home.tmp / "filhash.json"
        try:
            self.known: dict = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.known = {}
        self.changed = False

    def sha(self, path: Path) -> str:
        st = path.stat()
        key, stamp = str(path.resolve()), [st.st_size, st.st_mtime_ns]
        hit = self.known.get(key)
        if hit and hit[:2] == stamp:
            return hit[2]
        sha = sha256_file(path)
        self.known[key] = [*stamp, sha]
        self.changed = True
        return sha

    def save(self) -> None:
        if self.changed:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.known), encoding="utf-8")
            tmp.replace(self.path)
            self.changed = False


def archive_path(home: Home, path: Path, sha: str) -> Path:
    return home.archive / sha[:2] / (sha + path.suffix.lower())


def archive_file(home: Home, path: Path, sha: str) -> Path:
    """Keep the original bytes, immutable, by sha256."""
    dst = archive_path(home, path, sha)
    if not dst.exists():
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_suffix(dst.suffix + ".tmp")
        shutil.copyfile(path, tmp)
        tmp.replace(dst)
        dst.chmod(0o444)
    return dst


def fingerprint(entries: list[dict]) -> str:
    text = "\n".join(f"{e['fil']}\t{e['sha256']}" for e in sorted(entries, key=lambda e: e["fil"]))
    return hashlib.sha256(text.encode()).hexdigest()


def submission_fingerprint(home: Home, sub: Submission, profiles: list[Profile], hashes: FileHashes):
    """What a submission version is: its files' sha256 and the import profiles that apply to them.
    Returns (fingerprint, one entry per file, the applied profiles)."""
    entries = []
    for f in sub.files:
        sha = hashes.sha(f.path)
        entries.append(
            {
                "fil": f.relpath,
                "sha256": sha,
                "bytes": f.path.stat().st_size,
                "dataset": f.dataset,
                "arkiv": str(archive_path(home, f.path, sha).relative_to(home.root)),
            }
        )
    applied = sorted(
        {p.name: p for f in sub.files for p in profiles if p.applies_to(sub.kommunekode, f.relpath)}.items()
    )
    fp = fingerprint(
        entries
        + [
            {"fil": f"profil:{name}", "sha256": hashlib.sha256(p.source_text.encode()).hexdigest()}
            for name, p in applied
        ]
    )
    return fp, entries, applied


def unchanged_municipalities(con, home: Home, subs, profiles: list[Profile]) -> set[str]:
    """Municipalities whose every submission in landing/ is exactly its newest version (nothing to ingest)."""
    if not con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'audit' AND table_name = 'submissions'"
    ).fetchall()[0][0]:
        return set()
    latest = {
        (k, aar): fp
        for k, aar, fp in con.execute(
            "SELECT kommunekode, aar, arg_max(fingeraftryk, version) FROM audit.submissions GROUP BY ALL"
        ).fetchall()
    }
    hashes = FileHashes(home)
    same: dict[str, bool] = {}
    for (k, aar), sub in sorted(subs.items()):
        if same.get(k, True):
            known = latest.get((k, aar))
            same[k] = (
                known is not None
                and not sub.problems
                and (submission_fingerprint(home, sub, profiles, hashes)[0] == known)
            )
    hashes.save()
    return {k for k, ok in same.items() if ok}


@dataclass
class IngestResult:
    kommunekode: str
    aar: int
    version: int | None
    status: (
        str  # godkendt | holdt_tilbage | afventer_godkendelse | uaendret | vagt (mass removal: nothing done)
    )
    counts: dict = field(default_factory=dict)
    gx: dict = field(default_factory=dict)
    besked: str | None = None


def ingest_submission(
    con, home: Home, sub: Submission, profiles: list[Profile] | None = None
) -> IngestResult:
    """Archive, version, validate and load one submission. Loading the same files twice changes nothing;
    a change to any file, or to an import profile that applies to one, makes a new version.
    Everything a version writes is written in one transaction."""
    ensure_schema(con)
    profiles = profiles or []
    hashes = FileHashes(home)
    with stage("archive"):
        fp, entries, applied = submission_fingerprint(home, sub, profiles, hashes)
        for f, e in zip(sub.files, entries, strict=True):
            archive_file(home, f.path, e["sha256"])
        hashes.save()
    last = con.execute(
        "SELECT version, fingeraftryk, filer FROM audit.submissions WHERE kommunekode = ? AND aar = ? "
        "ORDER BY version DESC LIMIT 1",
        [sub.kommunekode, sub.aar],
    ).fetchall()
    last = last[0] if last else None
    if last and last[1] == fp:
        return IngestResult(sub.kommunekode, sub.aar, last[0], "uaendret")
    if last and (
        guard := mass_removal([e["fil"] for e in json.loads(last[2])], [e["fil"] for e in entries], sub.klar)
    ):
        return IngestResult(sub.kommunekode, sub.aar, last[0], "vagt", besked=guard)
    version = (last[0] + 1) if last else 1
    # Validate the archived bytes: what was checked is exactly what was kept.
    archived = [SubmissionFile(home.root / e["arkiv"], e["fil"]) for e in entries]
    result = validate_files(con, archived, sub.kommunekode, sub.aar, home.tmp, [p for _, p in applied])
    for p in sub.problems:
        con.execute(
            "INSERT INTO _findings VALUES (NULL, NULL, NULL, NULL, NULL, NULL, 'indberetning', ?, 'fejl', 0)",
            [p],
        )
    with stage("gate1_gx"):
        gx = {ds: gx_gate.check_accepted(con, ds, table) for ds, table in result.accepted_tables.items()}
    passed = all(r["success"] for r in gx.values()) and not sub.problems
    status = "godkendt" if passed else "holdt_tilbage"
    if passed and (drop := volume_drop(con, sub, result.accepted_tables.get("bygninger"))):
        status = "afventer_godkendelse"
        con.execute(
            "INSERT INTO _findings VALUES ('bygninger', NULL, NULL, NULL, NULL, NULL, 'gate2_fald_i_omfang', ?, "
            "'advarsel', 1)",
            [drop],
        )
    with stage("raw_write"):
        _write_version(con, sub, version, fp, entries, result, gx, status)
    return IngestResult(
        sub.kommunekode, sub.aar, version, status, {ds: c.as_dict() for ds, c in result.counts.items()}, gx
    )


# Gate 2 at ingestion: a municipality's building count or total area falling by more than this share against
# its active version needs the steward's acceptance (`kkm2 accept`) before the new version becomes active.
VOLUME_DROP_SHARE = 0.15


def volume_drop(con, sub: Submission, accepted_buildings: str | None) -> str | None:
    """The Danish warning when the new version's buildings fall by more than 15 % (count or area)."""
    old = con.execute(
        "SELECT count(*), coalesce(sum(bruttodriftsareal_m2), 0) FROM raw.bygninger WHERE (kommunekode, aar, "
        "version) IN (SELECT (kommunekode, aar, version) FROM audit.active_submissions WHERE kommunekode = ? "
        "AND aar = ?)",
        [sub.kommunekode, sub.aar],
    ).fetchall()[0]
    if old[0] == 0:
        return None
    new = (
        con.execute(
            f"SELECT count(*), coalesce(sum(bruttodriftsareal_m2), 0) FROM {accepted_buildings}"
        ).fetchall()[0]
        if accepted_buildings
        else (0, 0)
    )
    limit = 1 - VOLUME_DROP_SHARE
    if new[0] >= limit * old[0] and new[1] >= limit * old[1]:
        return None
    return (
        f"Antal bygninger eller samlet areal er faldet mere end {VOLUME_DROP_SHARE * 100:.0f} % i forhold til den aktive "
        f"version: {old[0]} → {new[0]} bygninger, {da_number(old[1])} → {da_number(new[1])} m². Versionen venter på, at "
        f"stewarden godkender den (`kkm2 accept {sub.kommunekode} {sub.aar} --reason ...`)."
    )


def _fault_point() -> None:
    """Fault injection for the crash tests: with KKM2_FAULT_PAUSE_FILE set, the load stops in the middle of
    its transaction (rows written, nothing committed), touches that file and waits to be killed."""
    if pause := os.environ.get("KKM2_FAULT_PAUSE_FILE"):
        Path(pause).touch()
        time.sleep(3600)


def _write_version(
    con,
    sub: Submission,
    version: int,
    fp: str,
    entries: list[dict],
    result: ValidationResult,
    gx: dict,
    status: str,
) -> None:
    k, y = sub.kommunekode, sub.aar
    now = datetime.now(UTC)
    lineage = [n for n, _ in LINEAGE_COLUMNS]
    con.execute("BEGIN TRANSACTION")
    try:
        for ds, table in result.accepted_tables.items():
            cols = DATASETS[ds].column_names
            con.execute(
                f"INSERT INTO raw.{ds} ({', '.join(lineage + list(cols))}) "
                f"SELECT ?, ?, ?, _fil, _row, ?, {', '.join(cols)} FROM {table}",
                [k, y, version, now],
            )
            con.execute(
                "INSERT INTO audit.rejected_rows SELECT ?, ?, ?, ?, _fil, _row, vaerdier, aarsager "
                f"FROM rej_{ds}",
                [k, y, version, ds],
            )
            _fault_point()
            c = result.counts[ds]
            con.execute(
                "INSERT INTO audit.submission_datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    k,
                    y,
                    version,
                    ds,
                    json.dumps(c.files, ensure_ascii=False),
                    c.received,
                    c.accepted,
                    c.rejected,
                    c.skipped,
                    c.warnings,
                ],
            )
        con.execute("INSERT INTO audit.findings SELECT ?, ?, ?, * FROM _findings", [k, y, version])
        con.execute(
            "INSERT INTO audit.submissions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                k,
                y,
                version,
                now,
                fp,
                json.dumps(entries, ensure_ascii=False),
                status,
                json.dumps(gx, ensure_ascii=False),
            ],
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
