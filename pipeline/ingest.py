"""Ingestion of submissions: find them in the landing folder, archive the original bytes, make a new
version when the files changed, validate (gate 1), and load the accepted rows into `raw` with lineage.

A submission is (municipality, year): every file under `landing/<kommunekode>/<aar>/`."""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import shutil
import tempfile
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipeline.contract import codes as code_lists
from pipeline.contract.datasets import DATASETS
from pipeline.contract.profiles import Profile
from pipeline.faults import fault_point
from pipeline.folders import (
    Years,
    is_hidden,
    link_text,
    list_entries,
    open_below,
    read_chunks,
    walk,
)
from pipeline.limits import limits
from pipeline.quality import gx_gate
from pipeline.settings import Home, sandbox
from pipeline.states import LandingOutcome, SubmissionStatus, version_status
from pipeline.text import canonical_kommunekode, da_number
from pipeline.timing import stage
from pipeline.validation import FINDING_COLUMNS, Findings, SubmissionFile, ValidationResult, validate_files
from pipeline.warehouse import LINEAGE_COLUMNS, ensure_schema


@dataclass
class Submission:
    kommunekode: str
    aar: int
    files: list[SubmissionFile] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # Danish, submission-level errors
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (relpath, Danish why): not read, a warning
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


def discover(
    landing: Path, years: Years | None = None
) -> tuple[dict[tuple[str, int], Submission], list[LandingProblem]]:
    """All submissions under `landing/`. `101/` and `0101/` are the same municipality.

    Nothing outside a submission's own folder is read: a symbolic link (to a file or a folder, anywhere) is
    never followed but reported, and so are special files (pipes, devices). A file directly in `landing/` or
    in a municipality's folder, a folder that is not a municipality code or a year, and a year outside the
    collaboration's years are reported and not loaded. `years` defaults to those of the home `landing` is in."""
    subs: dict[tuple[str, int], Submission] = {}
    problems: list[LandingProblem] = []
    if not landing.is_dir():
        return subs, problems
    years = years or Years.for_home(Home(landing.parent))
    valid = set(code_lists.codes("kommunekode"))
    folders: dict[tuple[str, int, str], set[str]] = {}

    def problem(path: str, text: str) -> None:
        problems.append(LandingProblem(path, text))

    for kentry in list_entries(landing):
        kname = kentry.name
        if is_hidden(kname):
            continue
        if kentry.is_symlink():
            problem(
                kname, f"'{kname}' er et symbolsk link (til {link_text(kentry, landing)}); det følges ikke."
            )
            continue
        if not kentry.is_dir(follow_symlinks=False):
            problem(
                kname,
                f"Filen '{kname}' ligger direkte i landing/ og er ikke indlæst; læg den i "
                "landing/<kommunekode>/<aar>/.",
            )
            continue
        k = canonical_kommunekode(kname)
        if k is None or k not in valid:
            problem(kname, f"Mappen '{kname}' er ikke en af de 98 kommunekoder; dens filer er ikke indlæst.")
            continue
        for yentry in list_entries(Path(kentry.path)):
            yname, where = yentry.name, f"{kname}/{yentry.name}"
            if is_hidden(yname):
                continue
            if yentry.is_symlink():
                problem(
                    where,
                    f"'{where}' er et symbolsk link (til {link_text(yentry, landing)}); det følges ikke, og intet "
                    "fra det indlæses. En kommunes mappe kan ikke pege på en anden kommunes eller et andet års "
                    "filer.",
                )
                continue
            if not yentry.is_dir(follow_symlinks=False):
                problem(
                    where,
                    f"Filen '{where}' ligger i kommunens mappe uden et årstal og er ikke indlæst; læg den i "
                    f"landing/{kname}/<aar>/.",
                )
                continue
            if not (yname.isdigit() and len(yname) == 4):
                problem(where, f"Mappen '{yname}' er ikke et årstal (4 cifre); dens filer er ikke indlæst.")
                continue
            aar = int(yname)
            if text := years.problem(aar):
                problem(where, text)
                continue
            sub = subs.setdefault((k, aar), Submission(k, aar))
            ydir = Path(yentry.path)
            sub.klar = sub.klar or os.path.lexists(ydir / READY_MARKER)
            files, ignored, found = walk(ydir, landing, (kname, yname))
            sub.files += files
            sub.ignored += ignored
            problems += [LandingProblem(p, t) for p, t in found]
            for sf in sub.files:
                if sf.dataset:
                    folders.setdefault((k, aar, sf.dataset), set()).add(kname)
    for (k, aar, ds), names in folders.items():
        if len(names) > 1:
            subs[(k, aar)].problems.append(
                f"Datasættet {ds} ligger i både {' og '.join(n + '/' for n in sorted(names))}; det er samme "
                "kommune. Læg filerne i én mappe."
            )
    return subs, problems


class FileChanged(Exception):
    """A landing file changed (or became a link) while it was being archived: load it on the next look."""


_HASHES_LOCK = threading.Lock()  # the preparing thread and the main thread both save


class FileHashes:
    """sha256 of landing files, remembered by (path, size, mtime_ns) in the home folder, so a file that did not
    change is not read again. The landing sensor and ingestion share it (and so the submission fingerprint):
    a file the sensor read is not read again by the load.

    A file it has to read is read once: hashed while it is copied into the archive (read_and_archive), so
    the archive holds its bytes by the sha256 it returns; a file over the size limit is hashed only."""

    def __init__(self, home: Home):
        self.home = home
        self.path = home.tmp / "filhash.json"
        try:
            self.known: dict = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.known = {}
        self.changed = False

    def entry(self, path: Path) -> tuple[str, int]:
        """(sha256, size) of a landing file. Raises FileChanged if it changes, vanishes or becomes a link
        while it is looked at."""
        try:
            st = os.stat(path, follow_symlinks=False)
        except OSError as e:
            raise FileChanged(path.name) from e
        if hit := self.remembered(path, st):
            return hit, st.st_size
        key, stamp = str(path), [st.st_size, st.st_mtime_ns]
        sha = read_and_archive(self.home, path, st, keep=st.st_size <= limits().file_bytes)
        self.known[key] = [*stamp, sha]
        self.changed = True
        return sha, st.st_size

    def remembered(self, path: Path, st: os.stat_result) -> str | None:
        """The sha256 of a file that has not changed (size, mtime) since it was hashed, without reading it."""
        hit = self.known.get(str(path))
        return hit[2] if hit and hit[:2] == [st.st_size, st.st_mtime_ns] else None

    def sha(self, path: Path) -> str:
        return self.entry(path)[0]

    def save(self) -> None:
        if self.changed:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with _HASHES_LOCK:
                tmp = self.path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
                tmp.write_text(json.dumps(self.known), encoding="utf-8")
                tmp.replace(self.path)
            self.changed = False


def archive_path(home: Home, path: Path, sha: str) -> Path:
    return home.archive / sha[:2] / (sha + path.suffix.lower())


def _identity(st: os.stat_result) -> tuple:
    return st.st_dev, st.st_ino, st.st_mode, st.st_size, st.st_mtime_ns


def read_and_archive(home: Home, path: Path, seen: os.stat_result, keep: bool) -> str:
    """The sha256 of a landing file in one read of it; with `keep`, its bytes are written to a temporary file
    in the archive as they are hashed, and that file is renamed to archive/<sha[:2]>/<sha><suffix>, read-only
    (dropped if the archive has those bytes already). The file is opened below landing/ without following
    links (folders.open_below) and must be the file `seen` listed, unchanged from before the read to after
    it (size, mtime, ctime, the bytes read, and its path still naming it, not a link); else FileChanged and
    nothing is kept. Never a hard link to the landing file: an edit in place would change the archive."""
    tmp = None
    try:
        with contextlib.ExitStack() as files:
            f = files.enter_context(os.fdopen(open_below(home.landing, path), "rb"))
            before = os.fstat(f.fileno())
            if _identity(before) != _identity(seen):
                raise FileChanged(path.name)
            out = None
            if keep:
                home.archive.mkdir(parents=True, exist_ok=True)
                out_fd, name = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=home.archive)
                tmp = Path(name)
                out = files.enter_context(os.fdopen(out_fd, "wb"))
            h, n = hashlib.sha256(), 0
            # never more than the size it had (+1 to see it grow): a growing file cannot fill the disk
            while n <= before.st_size and (chunk := f.read(min(1 << 20, before.st_size + 1 - n))):
                h.update(chunk)
                n += len(chunk)
                if out is not None:
                    out.write(chunk)
            after = os.fstat(f.fileno())
        now = os.stat(path, follow_symlinks=False)
        if (
            n != before.st_size
            or (after.st_size, after.st_mtime_ns, after.st_ctime_ns)
            != (before.st_size, before.st_mtime_ns, before.st_ctime_ns)
            or _identity(now) != _identity(before)
        ):
            raise FileChanged(path.name)
        sha = h.hexdigest()
        if tmp is not None:
            dst = archive_path(home, path, sha)
            if dst.exists():  # content-addressed: the archive has these bytes already
                tmp.unlink()
            else:
                dst.parent.mkdir(parents=True, exist_ok=True)
                tmp.chmod(0o444)
                tmp.replace(dst)
            tmp = None
        return sha
    except OSError as e:
        raise FileChanged(path.name) from e
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)


def archive_file(home: Home, path: Path, sha: str) -> Path:
    """Keep the original bytes, immutable, by sha256: copied from the landing folder without following links,
    and kept only when the copy has the sha256 the version was made from. Usually the archive has them
    already (FileHashes archived them in the read that hashed them) and nothing is read; this reads the file
    again only for a hash remembered without its archive copy."""
    dst = archive_path(home, path, sha)
    if not dst.exists():
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_suffix(dst.suffix + f".{os.getpid()}.tmp")
        h = hashlib.sha256()
        try:
            with open(tmp, "wb") as out:
                for chunk in read_chunks(home.landing, path):
                    h.update(chunk)
                    out.write(chunk)
        except OSError as e:
            tmp.unlink(missing_ok=True)
            raise FileChanged(path.name) from e
        if h.hexdigest() != sha:
            tmp.unlink(missing_ok=True)
            raise FileChanged(path.name)
        tmp.chmod(0o444)
        tmp.replace(dst)
    return dst


def fingerprint(entries: list[dict]) -> str:
    text = "\n".join(f"{e['fil']}\t{e['sha256']}" for e in sorted(entries, key=lambda e: e["fil"]))
    return hashlib.sha256(text.encode()).hexdigest()


def submission_fingerprint(home: Home, sub: Submission, profiles: list[Profile], hashes: FileHashes):
    """What a submission version is: its files' sha256, the import profiles that apply to them, and what was
    left unread (so a link that appears or goes makes a version whose findings say so).
    Returns (fingerprint, one entry per file, the applied profiles)."""
    entries = []
    limit = limits().file_bytes
    for f in sub.files:
        sha, size = hashes.entry(f.path)  # archives a file it reads (FileHashes)
        entries.append(
            {
                "fil": f.relpath,
                "sha256": sha,
                "bytes": size,
                "dataset": f.dataset,
                # a file over the size limit is not read, and not kept either (a finding says so)
                "arkiv": str(archive_path(home, f.path, sha).relative_to(home.root))
                if size <= limit
                else None,
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
        + [
            {"fil": f"ikke_laest:{rel}", "sha256": hashlib.sha256(why.encode()).hexdigest()}
            for rel, why in sub.ignored
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
    hashes = FileHashes(home)  # a file it reads is archived in that read, so ingestion need not read it again
    same: dict[str, bool] = {}
    try:
        for (k, aar), sub in sorted(subs.items()):
            if same.get(k, True):
                known = latest.get((k, aar))
                try:
                    same[k] = (
                        known is not None
                        and not sub.problems
                        and (submission_fingerprint(home, sub, profiles, hashes)[0] == known)
                    )
                except FileChanged:  # changing as we look: ingestion decides (it waits for the file)
                    same[k] = False
    finally:
        hashes.save()
    return {k for k, ok in same.items() if ok}


@dataclass
class IngestResult:
    kommunekode: str
    aar: int
    version: int | None
    status: str  # a states.SubmissionStatus when a version was made, else a states.LandingOutcome
    counts: dict = field(default_factory=dict)
    gx: dict = field(default_factory=dict)
    besked: str | None = None


def ingest_submission(
    con, home: Home, sub: Submission, profiles: list[Profile] | None = None
) -> IngestResult:
    """Archive, version, validate and load one submission. Loading the same files twice changes nothing;
    a change to any file, or to an import profile that applies to one, makes a new version.
    The files are validated on a sandbox connection of their own (pipeline.settings.sandbox), sealed once
    they are read: nothing in a file can reach the warehouse. Everything a version writes to the warehouse is
    written in one transaction.

    Two steps, so that a run can prepare the next submission while it writes this one (pipelined):
    `prepare_submission` (archive, validate, GX: the sandbox only, no warehouse) and `commit_submission`
    (the warehouse: gate 2's volume check and the version's one transaction)."""
    ensure_schema(con)
    prepared = prepare_submission(home, sub, profiles or [], newest_version(con, sub))
    return commit_submission(con, prepared) if isinstance(prepared, Prepared) else prepared


def newest_version(con, sub: Submission) -> tuple | None:
    """(version, fingerprint, files) of a submission's newest version in the warehouse, or None."""
    last = con.execute(
        "SELECT version, fingeraftryk, filer FROM audit.submissions WHERE kommunekode = ? AND aar = ? "
        "ORDER BY version DESC LIMIT 1",
        [sub.kommunekode, sub.aar],
    ).fetchall()
    return last[0] if last else None


@dataclass
class Prepared:
    """A submission validated on its sandbox, waiting to be written (commit_submission closes the sandbox)."""

    sub: Submission
    version: int
    fp: str
    entries: list[dict]
    vcon: object
    box_dir: Path
    result: ValidationResult
    gx: dict
    passed: bool

    def close(self) -> None:
        self.vcon.close()
        shutil.rmtree(self.box_dir, ignore_errors=True)


def prepare_submission(
    home: Home, sub: Submission, profiles: list[Profile], last: tuple | None
) -> Prepared | IngestResult:
    """Archive and validate one submission against its newest version `last` (newest_version). Touches no
    warehouse, so it may run in a thread of its own while another submission is written. Returns the result
    at once when nothing is to be written (unchanged, changing under us, a mass removal)."""
    with stage("archive"):
        # each new file is read once: hashed as it is copied into the archive (FileHashes.entry)
        hashes = FileHashes(home)
        try:
            fp, entries, applied = submission_fingerprint(home, sub, profiles, hashes)
            for f, e in zip(sub.files, entries, strict=True):
                if e["arkiv"]:
                    archive_file(home, f.path, e["sha256"])  # reads only a hash remembered without its copy
        except FileChanged as changed:
            return IngestResult(
                sub.kommunekode,
                sub.aar,
                None,
                LandingOutcome.VENTER,
                besked=f"Filen {changed} ændrede sig under indlæsningen; den indlæses ved næste kig.",
            )
        finally:
            hashes.save()
    if last and last[1] == fp:
        return IngestResult(sub.kommunekode, sub.aar, last[0], LandingOutcome.UAENDRET)
    if last and (
        guard := mass_removal([e["fil"] for e in json.loads(last[2])], [e["fil"] for e in entries], sub.klar)
    ):
        return IngestResult(sub.kommunekode, sub.aar, last[0], LandingOutcome.VAGT, besked=guard)
    version = (last[0] + 1) if last else 1
    # Validate the archived bytes: what was checked is exactly what was kept. A file over the size limit was
    # not kept; the validator rejects it by its size without reading it.
    archived = [
        SubmissionFile(home.root / e["arkiv"] if e["arkiv"] else f.path, e["fil"])
        for f, e in zip(sub.files, entries, strict=True)
    ]
    box_dir = Path(tempfile.mkdtemp(prefix=f"sandkasse_{sub.kommunekode}_{sub.aar}_", dir=home.tmp))
    vcon = sandbox(box_dir / "duckdb")
    try:
        fault_point("validering", sub.kommunekode)
        result = validate_files(vcon, archived, sub.kommunekode, sub.aar, box_dir, [p for _, p in applied])
        for p in sub.problems:
            result.add_finding(vcon, None, None, "indberetning", p, "fejl", antal=0)
        for rel, why in sub.ignored:
            result.add_finding(vcon, None, rel, "ikke_laest", why, "advarsel")
        with stage("gate1_gx"):
            fault_point("gx", sub.kommunekode)
            gx = {ds: gx_gate.check_accepted(vcon, ds, table) for ds, table in result.accepted_tables.items()}
    except BaseException:
        vcon.close()
        shutil.rmtree(box_dir, ignore_errors=True)
        raise
    passed = all(r["success"] for r in gx.values()) and not sub.problems
    return Prepared(sub, version, fp, entries, vcon, box_dir, result, gx, passed)


def commit_submission(con, p: Prepared) -> IngestResult:
    """Write a prepared submission's version to the warehouse in one transaction (gate 2's volume check
    first), then close its sandbox."""
    sub, result = p.sub, p.result
    try:
        ensure_schema(con)
        drop = volume_drop(con, p.vcon, sub, result.accepted_tables.get("bygninger")) if p.passed else None
        status = version_status(p.passed, volume_dropped=drop is not None)
        if drop:
            result.add_finding(p.vcon, "bygninger", None, "gate2_fald_i_omfang", drop, "advarsel")
        with stage("raw_write"):
            _write_version(con, p.vcon, sub, p.version, p.fp, p.entries, result, p.gx, status)
    finally:
        p.close()
    return IngestResult(
        sub.kommunekode,
        sub.aar,
        p.version,
        status,
        {ds: c.as_dict() for ds, c in result.counts.items()},
        p.gx,
    )


def prepared_ahead(con, home: Home, subs: list[Submission], profiles: list[Profile]):
    """Each submission of `subs` in order, as (submission, Future of prepare_submission): the next one is
    prepared in a second thread while the caller writes this one, so both cores work (DuckDB's scans use
    both only part of the time) and the warehouse still has one writer, the caller. One submission is
    prepared ahead, never more: at most two sandboxes are open. The newest version of a submission is read
    on the caller's connection before its preparation starts; the submission written meanwhile is another
    (municipality, year), so what was read stays true."""
    ensure_schema(con)
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kkm2-forbered")

    def start(sub: Submission) -> Future:
        try:
            last = newest_version(con, sub)
        except Exception as e:  # reported as that submission's failure, like one in its preparation
            failed: Future = Future()
            failed.set_exception(e)
            return failed
        return pool.submit(prepare_submission, home, sub, profiles, last)

    pending: deque[tuple[Submission, Future]] = deque()
    rest = iter(subs)
    try:
        for sub in itertools.islice(rest, 1):
            pending.append((sub, start(sub)))
        while pending:
            current = pending[0]  # stays in `pending` while the caller holds it: the cleanup below sees it
            for sub in itertools.islice(rest, 1):
                pending.append((sub, start(sub)))
            yield current
            _discard(pending.popleft()[1])  # written, or the caller failed first: its sandbox goes
    finally:  # the caller stopped early: close what it held and what was prepared for nothing
        for _, future in pending:
            future.cancel()
        pool.shutdown(wait=True)
        for _, future in pending:
            _discard(future)


def _discard(future: Future) -> None:
    """Close a prepared submission's sandbox (again: closing is idempotent), once its preparation ended."""
    if future.cancelled():
        return
    with contextlib.suppress(Exception):  # its failure is the caller's to report, not this cleanup's
        if isinstance(prepared := future.result(), Prepared):
            prepared.close()


INTERNAL_ERROR = (
    "Indlæsningen stoppede med en intern fejl ({kind}); versionen er holdt tilbage, og den forrige godkendte "
    "version bruges fortsat. Det er ikke noget, kommunen har gjort forkert: stewarden er underrettet og indlæser "
    "igen, når fejlen er rettet."
)


def ingest_failed(con, home: Home, sub: Submission, error: BaseException, profiles=None) -> IngestResult:
    """One submission's load failed unexpectedly: record a held-back version with a Danish finding (its
    feedback and status say so), so the other submissions go on and the previous active version stays in
    use. The version's fingerprint is marked, so the next run tries again; a failure that repeats itself
    on the same files makes no further versions."""
    ensure_schema(con)
    try:
        fp, entries, _ = submission_fingerprint(home, sub, profiles or [], FileHashes(home))
    except Exception:
        fp, entries = hashlib.sha256(repr(sorted(f.relpath for f in sub.files)).encode()).hexdigest(), []
    marker = f"fejl:{type(error).__name__}:{fp}"
    besked = INTERNAL_ERROR.format(kind=type(error).__name__)
    last = con.execute(
        "SELECT version, fingeraftryk FROM audit.submissions WHERE kommunekode = ? AND aar = ? "
        "ORDER BY version DESC LIMIT 1",
        [sub.kommunekode, sub.aar],
    ).fetchall()
    if last and last[0][1] == marker:
        return IngestResult(
            sub.kommunekode, sub.aar, last[0][0], SubmissionStatus.HOLDT_TILBAGE, besked=besked
        )
    version = last[0][0] + 1 if last else 1
    now = datetime.now(UTC)
    con.execute("BEGIN TRANSACTION")
    try:
        Findings(con, (sub.kommunekode, sub.aar, version)).add("intern_fejl", besked, antal=0)
        by_dataset: dict[str, list[str]] = {}
        for f in sub.files:
            if f.dataset:
                by_dataset.setdefault(f.dataset, []).append(f.relpath)
        for ds, files in sorted(by_dataset.items()):  # the status shows which datasets were held back
            con.execute(
                "INSERT INTO audit.submission_datasets VALUES (?, ?, ?, ?, ?, 0, 0, 0, 0, 0)",
                [sub.kommunekode, sub.aar, version, ds, json.dumps(files, ensure_ascii=False)],
            )
        con.execute(
            "INSERT INTO audit.submissions VALUES (?, ?, ?, ?, ?, ?, ?, '{}')",
            [
                sub.kommunekode,
                sub.aar,
                version,
                now,
                marker,
                json.dumps(entries, ensure_ascii=False),
                SubmissionStatus.HOLDT_TILBAGE,
            ],
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return IngestResult(sub.kommunekode, sub.aar, version, SubmissionStatus.HOLDT_TILBAGE, besked=besked)


# Gate 2 at ingestion: a municipality's building count or total area falling by more than this share against
# its active version needs the steward's acceptance (`kkm2 accept`) before the new version becomes active.
VOLUME_DROP_SHARE = 0.15


def volume_drop(con, vcon, sub: Submission, accepted_buildings: str | None) -> str | None:
    """The Danish warning when the new version's buildings (`accepted_buildings` on the sandbox `vcon`) fall
    by more than 15 % (count or area) against the active version in the warehouse (`con`)."""
    old = con.execute(
        "SELECT count(*), coalesce(sum(bruttodriftsareal_m2), 0) FROM raw.bygninger WHERE (kommunekode, aar, "
        "version) IN (SELECT (kommunekode, aar, version) FROM audit.active_submissions WHERE kommunekode = ? "
        "AND aar = ?)",
        [sub.kommunekode, sub.aar],
    ).fetchall()[0]
    if old[0] == 0:
        return None
    new = (
        vcon.execute(
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
    """Fault injection for the crash and concurrency tests: with KKM2_FAULT_PAUSE_FILE set, the load stops in
    the middle of its first submission's transaction (rows written, nothing committed), touches that file and
    waits (at most an hour) until it is removed or the process is killed; then it goes on."""
    pause = os.environ.get("KKM2_FAULT_PAUSE_FILE")
    if pause and not _paused:
        _paused.append(pause)
        Path(pause).touch()
        end = time.monotonic() + 3600
        while Path(pause).exists() and time.monotonic() < end:
            time.sleep(0.1)


_paused: list[str] = []  # the pause happens once per process


def _transfer(con, vcon, select: str, insert: str, params: list) -> None:
    """Rows of a query on the sandbox into the warehouse, streamed through Arrow (bounded memory). `insert`
    reads them from `_kkm2_inn`."""
    reader = vcon.sql(select).to_arrow_reader(TRANSFER_BATCH_ROWS)
    con.register("_kkm2_inn", reader)
    try:
        con.execute(insert, params)
    finally:
        con.unregister("_kkm2_inn")


TRANSFER_BATCH_ROWS = 100_000


def _write_version(
    con,
    vcon,
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
            _transfer(
                con,
                vcon,
                f"SELECT _fil, _row, {', '.join(cols)} FROM {table}",
                f"INSERT INTO raw.{ds} ({', '.join(lineage + list(cols))}) "
                f"SELECT ?, ?, ?, _fil, _row, ?, {', '.join(cols)} FROM _kkm2_inn",
                [k, y, version, now],
            )
            _transfer(
                con,
                vcon,
                f"SELECT _fil, _row, vaerdier, aarsager FROM rej_{ds}",
                "INSERT INTO audit.rejected_rows SELECT ?, ?, ?, ?, _fil, _row, vaerdier, aarsager FROM _kkm2_inn",
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
        _transfer(
            con,
            vcon,
            f"SELECT {FINDING_COLUMNS} FROM _findings",
            f"INSERT INTO audit.findings SELECT ?, ?, ?, {FINDING_COLUMNS} FROM _kkm2_inn",
            [k, y, version],
        )
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
