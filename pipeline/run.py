"""`kkm2 run`: everything in the landing folder through the Dagster definitions, in-process.

No parallel code path: it executes the same jobs the Dagster UI and schedules run. Writers queue on a
lock file in the home folder (DuckDB allows one writing process).

All changed municipalities are ingested in one Dagster run (pipeline/defs/ingest_assets.py), then the build
runs, unless nothing it is built from changed since the current release was built (`build_inputs`): then the
current release stands and no Dagster run is made at all."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipeline import progress
from pipeline.locking import writer_lock
from pipeline.settings import REPO_ROOT, Home, activate, connect
from pipeline.states import SubmissionStatus
from pipeline.status import status_dir, versions_fingerprint
from pipeline.timing import stage
from pipeline.validation.core import ERROR


@dataclass
class RunReport:
    ingest_ok: dict[str, bool] = field(default_factory=dict)
    build_ok: bool = False
    build_skipped: bool = False  # nothing the build reads changed: the current release stands
    release: Path | None = None
    landing_problems: list[str] = field(default_factory=list)
    reference_problems: list[str] = field(default_factory=list)  # pipeline.reference: findings, in Danish
    reference_warnings: list[str] = field(default_factory=list)
    submissions: list[tuple] = field(default_factory=list)
    # for the summary: the versions this run made (kommune, aar, version, status, received, accepted, rejected,
    # skipped) and every newest version that is not active, with why (kommune, aar, version, status, besked)
    new_versions: list[tuple] = field(default_factory=list)
    held_back: list[tuple] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return self.build_ok and all(self.ingest_ok.values())


PID_TAG = "kkm2/pid"
# What `kkm2 run`, the nightly schedule and the build sensor say when nothing a build reads has changed
NOTHING_NEW = (
    "Intet nyt siden sidste udgivelse (indberetninger, referencedata, kode og parametre er uændrede): "
    "ingen dbt build, ingen ny udgivelse."
)
# A build's inputs (`build_inputs`, JSON) as they were when it was asked for; its release asset stamps them
INPUTS_TAG = "kkm2/bygge_input"
# What the current release was built from (`build_inputs`), written after each successful build by `kkm2 run`
BUILD_STAMP = "sidste_byggeri.json"
# What the build is made from besides the warehouse and reference/: the code, the dbt project (models,
# seeds with the parameters, macros, tests), the GX suites and the locked dependencies.
CODE_PATHS = (
    "pipeline",
    "models",
    "seeds",
    "dbt_project",
    "expectations",
    "dbt_project.yml",
    "requirements.lock",
)
# Environment variables that do not change what a build makes (every other KKM2_* one does, e.g. KKM2_FEJL)
NEUTRAL_ENV = {
    "KKM2_HOME",
    "KKM2_DAGSTER_DIR",
    "KKM2_TIMINGS",
    "KKM2_LOG_LEVEL",
    "KKM2_SETTLE_SECONDS",
    "KKM2_REAL_DATA",
    "KKM2_FAULT_PAUSE_FILE",
    "KKM2_DUCKDB_MEMORY_LIMIT",
    "KKM2_DUCKDB_THREADS",
}


def recover_dead_runs(instance) -> list[str]:
    """Runs a killed `kkm2 run` left behind as started: mark them failed and free their pool slots, or the
    next run would wait for the writer slot forever. Called with the writer lock held, so no other `kkm2 run`
    is alive in this home; runs launched by the Dagster daemon (without the tag) are its run monitor's job."""
    from dagster import DagsterRunStatus, RunsFilter

    active = [DagsterRunStatus.STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.NOT_STARTED]
    recovered = []
    for run in instance.get_runs(filters=RunsFilter(statuses=active)):
        pid = run.tags.get(PID_TAG)
        if pid and pid != str(os.getpid()):
            instance.report_run_failed(run, message=f"Processen {pid} stoppede midt i kørslen; ryddet op.")
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
            recovered.append(run.run_id)
    return recovered


def _hash_files(h, root: Path, paths) -> None:
    for rel in paths:
        top = root / rel
        files = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file())
        for p in files:
            if "__pycache__" in p.parts or p.name.startswith("."):
                continue
            h.update(f"{p.relative_to(root).as_posix()}\0".encode())
            h.update(hashlib.sha256(p.read_bytes()).digest())


def build_inputs(home: Home) -> dict[str, str]:
    """Fingerprints of what a build reads besides the warehouse's versions (versions_fingerprint): the code
    and dbt project, the steward's reference data (by content) and the environment that changes a build."""
    from pipeline import __version__

    code = hashlib.sha256(__version__.encode())
    _hash_files(code, REPO_ROOT, CODE_PATHS)
    reference = hashlib.sha256()
    if home.reference.exists():
        _hash_files(reference, home.reference, ["."])
    env = {k: v for k, v in sorted(os.environ.items()) if k.startswith("KKM2_") and k not in NEUTRAL_ENV}
    return {
        "kode": code.hexdigest(),
        "referencedata": reference.hexdigest(),
        "miljoe": hashlib.sha256(json.dumps(env).encode()).hexdigest(),
    }


def read_stamp(home: Home) -> dict | None:
    try:
        return json.loads((status_dir(home) / BUILD_STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def stamp_build(
    home: Home, run_id: str, inputs: dict[str, str], problems: list[str] = (), warnings: list[str] = ()
) -> None:
    """Record what the current release was just built from: `inputs` as they were when the build was asked
    for, the versions and the warehouse as the build left them (the gates may have held some back). Written by
    the release asset for every build that carries INPUTS_TAG (`kkm2 run`, the nightly schedule, the build
    sensor), with the reference data's findings (a no-op `kkm2 run` repeats them from here)."""
    _write_stamp(
        home,
        {
            "release": home.current.resolve().name,
            "run_id": run_id,
            "tid": datetime.now(UTC).isoformat(),
            "inputs": inputs,
            "versioner": versions_fingerprint(home),
            "lager": warehouse_state(home),
            "referencedata_problemer": list(problems),
            "referencedata_advarsler": list(warnings),
        },
    )


def _write_stamp(home: Home, stamp: dict | None) -> None:
    path = status_dir(home) / BUILD_STAMP
    if stamp is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{BUILD_STAMP}.{os.getpid()}")
    tmp.write_text(json.dumps(stamp, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path)


def warehouse_state(home: Home) -> str:
    """The live warehouse's files as they are on disk (size, modification time): every writer changes them
    (a build in the Dagster UI or the nightly one, a failed one too, an ingestion, a pin), a reader never."""
    parts = []
    for p in (home.warehouse, home.warehouse.with_name(home.warehouse.name + ".wal")):
        try:
            st = p.stat()
            parts.append(f"{p.name}:{st.st_size}:{st.st_mtime_ns}")
        except FileNotFoundError:
            parts.append(f"{p.name}:-")
    return ";".join(parts)


def build_is_current(home: Home, inputs: dict[str, str]) -> dict | None:
    """The stamp of the `kkm2 run` build that made the current release, if nothing a build reads has
    changed since: the code, reference data and environment (`build_inputs`), the submissions' versions and
    the warehouse itself (so no other writer, and no other build, has been at it since); else None. A
    failed build leaves no stamp. Cheap: no Dagster import."""
    stamp = read_stamp(home)
    if not stamp or not home.current.exists() or home.current.resolve().name != stamp.get("release"):
        return None
    if stamp.get("inputs") != inputs or stamp.get("versioner") != versions_fingerprint(home):
        return None
    return stamp if stamp.get("lager") == warehouse_state(home) else None


def run(home: Home, reverse: bool = False) -> RunReport:
    """Ingest every changed municipality in landing/ (in code order, or reversed: the result must not depend
    on it) in one Dagster run, then build and publish unless nothing the build reads has changed."""
    activate(home)
    # One planned event per asset for a run over a range of partitions, not one per partition of the range
    # (on SQLite each costs ~30 ms: a range over most municipalities cost 27 s before the first step).
    os.environ.setdefault("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", "true")
    report = RunReport()
    started = datetime.now(UTC)
    with writer_lock(home), stage("orchestration"):
        _run(home, report, reverse)
        report.submissions, report.new_versions, report.held_back = _summary(home, started)
    return report


def _run(home: Home, report: RunReport, reverse: bool) -> None:
    with progress.task("forberedelse"):
        from pipeline.contract.profiles import load_profiles
        from pipeline.ingest import discover, unchanged_municipalities

        subs, problems = discover(home.landing)
        report.landing_problems = [f"{p.path}: {p.besked}" for p in problems]
        profiles, profile_problems = load_profiles(home.reference / "profiler")
        report.landing_problems += profile_problems
        unchanged = set()
        if home.warehouse.exists():  # a municipality whose files are all its newest versions needs no run
            con = connect(home.warehouse, read_only=True)
            try:
                unchanged = unchanged_municipalities(con, home, subs, profiles)
            finally:
                con.close()
        kommuner = sorted({k for k, _ in subs}, reverse=reverse)
        changed = [k for k in kommuner if k not in unchanged]
        report.ingest_ok = {k: True for k in kommuner}
        inputs = build_inputs(home)
        if not changed and (stamp := build_is_current(home, inputs)):
            _skip_build(home, report, stamp)
            return

        from dagster import DagsterInstance

        from pipeline.definitions import defs  # the dbt manifest is made anew if the project changed

        instance = DagsterInstance.get()
        for run_id in recover_dead_runs(instance):
            print(f"Ryddet op efter en afbrudt kørsel: {run_id}", file=sys.stderr)
    tags = {PID_TAG: str(os.getpid()), INPUTS_TAG: json.dumps(inputs)}
    quiet = {"loggers": {"console": {"config": {"log_level": os.environ.get("KKM2_LOG_LEVEL", "WARNING")}}}}
    if changed:
        _ingest(defs, instance, changed, report, run_config=quiet, tags=tags)
    _write_stamp(home, None)  # until this build has succeeded, the next run builds again
    build = defs.resolve_job_def("build")
    res = build.execute_in_process(instance=instance, raise_on_error=False, run_config=quiet, tags=tags)
    report.build_ok = res.success
    from pipeline.defs.reference_assets import reference_findings

    # the reference data's findings and warnings, as its asset recorded them; the release asset stamped the
    # build with them (pipeline.defs.publish_assets)
    report.reference_problems, report.reference_warnings = reference_findings(instance)
    if res.success and home.current.exists():
        report.release = home.current.resolve()


def _skip_build(home: Home, report: RunReport, stamp: dict) -> None:
    report.build_ok = True
    report.build_skipped = True
    report.release = home.current.resolve()
    report.reference_problems = list(stamp.get("referencedata_problemer", []))
    report.reference_warnings = list(stamp.get("referencedata_advarsler", []))


def _ingest(defs, instance, changed: list[str], report: RunReport, run_config: dict, tags: dict) -> None:
    """One Dagster run for all changed municipalities: a run over the partition range from the first to the
    last of them (in the partitions' order) that names them in KOMMUNER_TAG, in `changed`'s order; the
    others in the range are left alone. Each municipality's outcome comes from its own events: its raw
    assets materialised for its partition and its GX checks passed."""
    from pipeline.defs.ingest_assets import KOMMUNER_TAG, RANGE_END_TAG, RANGE_START_TAG, RAW_KEYS
    from pipeline.defs.partitions import kommune_partitions

    order = {k: i for i, k in enumerate(kommune_partitions.get_partition_keys())}
    for k in changed:
        if k not in order:  # not a municipality of the collaboration: never ingested
            report.ingest_ok[k] = False
            report.landing_problems.append(f"{k}: ikke en kommunekode; mappen indlæses ikke.")
    known = [k for k in changed if k in order]
    if not known:
        return
    ingest = defs.resolve_job_def("ingest")
    if len(known) == 1:
        res = ingest.execute_in_process(
            partition_key=known[0], instance=instance, raise_on_error=False, run_config=run_config, tags=tags
        )
    else:
        span = sorted(known, key=order.__getitem__)
        range_tags = {RANGE_START_TAG: span[0], RANGE_END_TAG: span[-1], KOMMUNER_TAG: ",".join(known)}
        res = ingest.execute_in_process(
            instance=instance, raise_on_error=False, run_config=run_config, tags={**tags, **range_tags}
        )
    raw = set(RAW_KEYS.values())
    first: dict[str, object] = {}  # municipality -> its first raw materialisation
    for ev in res.get_asset_materialization_events():
        m = ev.materialization
        if m.asset_key in raw and m.partition in known:
            first.setdefault(m.partition, m)
    check_failed = {e.partition for e in res.get_asset_check_evaluations() if not e.passed}
    explained = any(k not in first or k in check_failed for k in known)
    for k in known:
        # a run that failed with every municipality in order failed as a whole (e.g. the status snapshot)
        report.ingest_ok[k] = k in first and k not in check_failed and (res.success or explained)
        guard = first[k].metadata.get("vagt") if k in first else None
        report.landing_problems += list(guard.value) if guard else []


def _summary(home: Home, started: datetime) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """For the run's summary, from one read of the warehouse: each municipality-year's newest version with its
    datasets' counts, the versions made since `started`, and every municipality-year whose newest version is
    not active, with the reason its load or a gate gave (the first error without a row, else the first error)."""
    if not home.warehouse.exists():
        return [], [], []
    con = connect(home.warehouse, read_only=True)
    try:
        if not con.execute(
            "SELECT count(*) FROM duckdb_views() WHERE schema_name = 'audit' AND view_name = 'dataset_states'"
        ).fetchall()[0][0]:
            return [], [], []
        newest = con.execute("""
            SELECT s.kommunekode, s.aar, s.version, s.status, d.dataset, d.raekker_modtaget,
                   d.raekker_accepteret, d.raekker_afvist, d.raekker_sprunget_over, d.advarsler
            FROM audit.submissions s JOIN audit.submission_datasets d USING (kommunekode, aar, version)
            WHERE (s.kommunekode, s.aar, s.version) IN (
                SELECT (kommunekode, aar, max(version)) FROM audit.submissions GROUP BY kommunekode, aar)
            ORDER BY 1, 2, 5""").fetchall()
        new = con.execute(
            """
            SELECT s.kommunekode, s.aar, s.version, s.status, sum(d.raekker_modtaget)::BIGINT,
                   sum(d.raekker_accepteret)::BIGINT, sum(d.raekker_afvist)::BIGINT,
                   sum(d.raekker_sprunget_over)::BIGINT
            FROM audit.submissions s JOIN audit.dataset_states d USING (kommunekode, aar, version)
            WHERE s.oprettet_tid >= ?
            GROUP BY ALL ORDER BY 1, 2, 3""",
            [started],
        ).fetchall()
        held = con.execute(
            """
            WITH newest AS (
                SELECT kommunekode, aar, max(version) AS version FROM audit.submissions GROUP BY ALL
            )
            SELECT s.kommunekode, s.aar, s.version, s.status, (
                SELECT f.besked FROM audit.findings f
                WHERE f.kommunekode = s.kommunekode AND f.aar = s.aar AND f.version = s.version
                  AND f.alvorlighed = ?
                ORDER BY f.raekke IS NOT NULL, f.raekke LIMIT 1)
            FROM audit.submissions s JOIN newest USING (kommunekode, aar, version)
            WHERE s.status <> ?
            ORDER BY 1, 2""",
            [ERROR, SubmissionStatus.GODKENDT],
        ).fetchall()
        return newest, new, held
    finally:
        con.close()
