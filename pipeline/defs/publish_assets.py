"""The release: published after a successful dbt build."""

import json
import shutil

import dagster as dg
from dagster_dbt import DbtCliResource

from pipeline import progress
from pipeline.defs.reference_assets import reference_findings
from pipeline.defs.resources import DUCKDB_WRITER_POOL, GATES_KEY, Kkm2Home
from pipeline.publish import PUBLISHED_TABLES, discard_release, finish_release, stage_release
from pipeline.quality.gates import hold_back_municipality
from pipeline.run import INPUTS_TAG, stamp_build
from pipeline.status import write_snapshot
from pipeline.timing import stage

MAX_ROUNDS = 3


@dg.asset(
    key=dg.AssetKey(["release", "current"]),
    group_name="release",
    deps=[dg.AssetKey(["marts", t]) for t in PUBLISHED_TABLES] + [GATES_KEY],
    pool=DUCKDB_WRITER_POOL,
    description="Udgivelsen: Parquet pr. tabel, en skrivebeskyttet warehouse.duckdb og _manifest.json; "
    "derefter peger `current` på den. En kommune, hvis egen del ikke kan skrives, holdes tilbage, og "
    "udgivelsen bygges igen uden den; de øvrige udgives.",
)
def release(context: dg.AssetExecutionContext, kkm2: Kkm2Home, dbt: DbtCliResource) -> dg.MaterializeResult:
    held: list[tuple] = []
    with (
        kkm2.writer(),
        stage("publish"),
        progress.task("udgivelse"),
    ):  # reads the live warehouse: no writer may change it meanwhile
        staged = stage_release(kkm2.home)
        for _ in range(MAX_ROUNDS):
            if not staged.failed:
                break
            with kkm2.warehouse() as con:
                newly = [
                    h
                    for k, reason in sorted(staged.failed.items())
                    for h in hold_back_municipality(con, k, reason, "kommunemappe")
                ]
            if not newly:
                break  # nothing left to hold back: publish with the plain pages that say what failed
            held += newly
            context.log.warning(f"Udgivelsen holder tilbage og bygger igen uden: {newly} ({staged.failed})")
            discard_release(staged)
            runs = kkm2.home.tmp / "dbt_udgivelse"
            shutil.rmtree(runs, ignore_errors=True)
            dbt.cli(["--quiet", "run"], target_path=runs, raise_on_error=True).wait()
            with kkm2.warehouse() as con:
                write_snapshot(con, kkm2.home)
            staged = stage_release(kkm2.home)
        for k, reason in staged.failed.items():
            context.log.error(f"{k}: {reason}")
        path = finish_release(staged)
        if inputs := context.run.tags.get(INPUTS_TAG):  # what it was built from: the next no-op is free
            stamp_build(kkm2.home, context.run_id, json.loads(inputs), *reference_findings(context.instance))
    context.log.info(f"Udgivelse: {path}")
    return dg.MaterializeResult(
        metadata={
            "sti": str(path),
            "release_id": path.name,
            "holdt_tilbage": dg.MetadataValue.json([list(h) for h in held]),
            "fejl_pr_kommune": dg.MetadataValue.json(staged.failed),
        }
    )
