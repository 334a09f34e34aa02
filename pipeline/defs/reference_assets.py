"""Reference data from the steward's folder, reloaded before every build."""

import dagster as dg

from pipeline.defs.resources import DUCKDB_WRITER_POOL, Kkm2Home
from pipeline.reference import load_reference

REFERENCE_TABLES = ("befolkning", "graddage", "graddage_normalaar", "emissionsfaktorer", "deltagere")


def reference_findings(instance: dg.DagsterInstance) -> tuple[list[str], list[str]]:
    """The reference data's problems and warnings, as its newest load recorded them (its materialisation's
    metadata): for the build stamp and `kkm2 run`'s summary."""
    event = instance.get_latest_materialization_event(dg.AssetKey(["reference", REFERENCE_TABLES[0]]))
    meta = event.asset_materialization.metadata if event and event.asset_materialization else {}
    return tuple(list(meta[k].value) if k in meta else [] for k in ("problemer", "advarsler"))


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["reference", t],
            group_name="reference",
            kinds={"duckdb"},
            description=f"reference.{t}: fra stewardens mappe reference/.",
        )
        for t in REFERENCE_TABLES
    ],
    pool=DUCKDB_WRITER_POOL,
    can_subset=False,
)
def reference_data(context: dg.AssetExecutionContext, kkm2: Kkm2Home):
    """Load befolkning, graddage, emissionsfaktorer and deltagere; problems are reported, never fatal."""
    with kkm2.warehouse() as con:
        report = load_reference(con, kkm2.home.reference, kkm2.home.tmp)
    for p in report.problems + report.warnings:
        context.log.warning(p)
    for t in REFERENCE_TABLES:
        yield dg.MaterializeResult(
            asset_key=["reference", t],
            metadata={
                "filer": dg.MetadataValue.json(report.loaded),
                "problemer": dg.MetadataValue.json(report.problems),
                "advarsler": dg.MetadataValue.json(report.warnings),
                "kort": report.has_map,
            },
        )
