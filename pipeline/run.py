"""`kkm2 run`: everything in the landing folder through the Dagster definitions, in-process.

No parallel code path: it executes the same jobs the Dagster UI and schedules run. Writers queue on a
lock file in the home folder (DuckDB allows one writing process)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.locking import writer_lock
from pipeline.settings import Home, activate, connect
from pipeline.timing import stage


@dataclass
class RunReport:
    ingest_ok: dict[str, bool] = field(default_factory=dict)
    build_ok: bool = False
    release: Path | None = None
    landing_problems: list[str] = field(default_factory=list)
    reference_problems: list[str] = field(default_factory=list)  # pipeline.reference: findings, in Danish
    reference_warnings: list[str] = field(default_factory=list)
    submissions: list[tuple] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return self.build_ok and all(self.ingest_ok.values())


PID_TAG = "kkm2/pid"


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


def run(home: Home, reverse: bool = False) -> RunReport:
    """Ingest every municipality in landing/ (in code order, or reversed: the result must not depend on it),
    then build and publish."""
    activate(home)
    report = RunReport()
    with writer_lock(home), stage("orchestration"):
        from dagster import DagsterInstance

        from pipeline.defs.dbt_assets import prepare_manifest

        prepare_manifest()
        from pipeline.contract.profiles import load_profiles
        from pipeline.definitions import defs
        from pipeline.ingest import discover, unchanged_municipalities

        instance = DagsterInstance.get()
        for run_id in recover_dead_runs(instance):
            print(f"Ryddet op efter en afbrudt kørsel: {run_id}", file=sys.stderr)
        tags = {PID_TAG: str(os.getpid())}
        quiet = {
            "loggers": {"console": {"config": {"log_level": os.environ.get("KKM2_LOG_LEVEL", "WARNING")}}}
        }
        subs, problems = discover(home.landing)
        report.landing_problems = [f"{p.path}: {p.besked}" for p in problems]
        profiles, profile_problems = load_profiles(home.reference / "profiler")
        report.landing_problems += profile_problems
        ingest = defs.resolve_job_def("ingest")
        unchanged = set()
        if home.warehouse.exists():  # a municipality whose files are all its newest versions needs no run
            con = connect(home.warehouse, read_only=True)
            try:
                unchanged = unchanged_municipalities(con, home, subs, profiles)
            finally:
                con.close()
        for k in sorted({k for k, _ in subs}, reverse=reverse):
            if k in unchanged:
                report.ingest_ok[k] = True
                continue
            res = ingest.execute_in_process(
                partition_key=k, instance=instance, raise_on_error=False, run_config=quiet, tags=tags
            )
            report.ingest_ok[k] = res.success
            for ev in res.get_asset_materialization_events()[:1]:
                guard = ev.materialization.metadata.get("vagt")
                report.landing_problems += list(guard.value) if guard else []
        build = defs.resolve_job_def("build")
        res = build.execute_in_process(instance=instance, raise_on_error=False, run_config=quiet, tags=tags)
        report.build_ok = res.success
        # the reference data's findings and warnings, as its asset recorded them (pipeline.defs.reference_assets)
        for ev in res.get_asset_materialization_events():
            meta = ev.materialization.metadata
            if ev.asset_key.path[0] == "reference" and "problemer" in meta:
                report.reference_problems = list(meta["problemer"].value)
                report.reference_warnings = list(meta["advarsler"].value) if "advarsler" in meta else []
                break
        if res.success and home.current.exists():
            report.release = home.current.resolve()
        con = connect(home.warehouse, read_only=True)
        try:
            report.submissions = con.execute("""
                SELECT s.kommunekode, s.aar, s.version, s.status, d.dataset, d.raekker_modtaget,
                       d.raekker_accepteret, d.raekker_afvist, d.raekker_sprunget_over, d.advarsler
                FROM audit.submissions s JOIN audit.submission_datasets d USING (kommunekode, aar, version)
                WHERE (s.kommunekode, s.aar, s.version) IN (
                    SELECT (kommunekode, aar, max(version)) FROM audit.submissions GROUP BY kommunekode, aar)
                ORDER BY 1, 2, 5""").fetchall()
        finally:
            con.close()
    return report
