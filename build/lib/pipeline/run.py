"""`kkm2 run`: everything in the landing folder through the Dagster definitions, in-process.

No parallel code path: it executes the same jobs the Dagster UI and schedules run. Writers queue on a
lock file in the home folder (DuckDB allows one writing process)."""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.settings import Home, activate, connect


@dataclass
class RunReport:
    ingest_ok: dict[str, bool] = field(default_factory=dict)
    build_ok: bool = False
    release: Path | None = None
    landing_problems: list[str] = field(default_factory=list)
    submissions: list[tuple] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return self.build_ok and all(self.ingest_ok.values())


@contextmanager
def writer_lock(home: Home):
    """One writer at a time: a second `kkm2 run` waits here until the first is done."""
    home.root.mkdir(parents=True, exist_ok=True)
    with open(home.root / ".writer.lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            f.write(str(os.getpid()))
            f.flush()
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def run(home: Home, reverse: bool = False) -> RunReport:
    """Ingest every municipality in landing/ (in code order, or reversed: the result must not depend on it),
    then build and publish."""
    activate(home)
    report = RunReport()
    with writer_lock(home):
        from dagster import DagsterInstance

        from pipeline.defs.dbt_assets import prepare_manifest

        prepare_manifest()
        from pipeline.contract.profiles import load_profiles
        from pipeline.definitions import defs
        from pipeline.ingest import discover

        instance = DagsterInstance.get()
        quiet = {
            "loggers": {"console": {"config": {"log_level": os.environ.get("KKM2_LOG_LEVEL", "WARNING")}}}
        }
        subs, problems = discover(home.landing)
        report.landing_problems = [f"{p.path}: {p.besked}" for p in problems]
        report.landing_problems += load_profiles(home.reference / "profiler")[1]
        ingest = defs.resolve_job_def("ingest")
        for k in sorted({k for k, _ in subs}, reverse=reverse):
            res = ingest.execute_in_process(
                partition_key=k, instance=instance, raise_on_error=False, run_config=quiet
            )
            report.ingest_ok[k] = res.success
        build = defs.resolve_job_def("build")
        res = build.execute_in_process(instance=instance, raise_on_error=False, run_config=quiet)
        report.build_ok = res.success
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
