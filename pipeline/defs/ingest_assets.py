"""Ingestion assets: one municipality's submissions from the landing folder into `raw`, through gate 1
(the contract validator, then GX on the accepted rows as a blocking asset check)."""

import dagster as dg

from pipeline.contract.datasets import DATASETS
from pipeline.contract.profiles import load_profiles
from pipeline.defs.partitions import kommune_partitions
from pipeline.defs.resources import DUCKDB_WRITER_POOL, Kkm2Home
from pipeline.ingest import discover, ingest_failed, ingest_submission
from pipeline.status import write_snapshot

RAW_KEYS = {name: dg.AssetKey(["raw", name]) for name in DATASETS}
GX_CHECK = "gx_accepterede_raekker"


def submissions_for(landing, kommunekode: str):
    """The submissions of one municipality (all years), in year order."""
    subs, _ = discover(landing)
    return [s for (k, _), s in sorted(subs.items()) if k == kommunekode]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key,
            group_name="raw",
            kinds={"duckdb"},
            description=f"raw.{name}: accepterede rækker (alle versioner) med sporbarhed.",
        )
        for name, key in RAW_KEYS.items()
    ],
    check_specs=[
        dg.AssetCheckSpec(
            GX_CHECK,
            asset=key,
            blocking=True,
            description="GX genkontrollerer de accepterede rækker med suiten genereret fra "
            "kontrakten; et fund holder indberetningsversionen tilbage.",
        )
        for key in RAW_KEYS.values()
    ],
    partitions_def=kommune_partitions,
    pool=DUCKDB_WRITER_POOL,
    can_subset=False,
)
def raw_submissions(context: dg.AssetExecutionContext, kkm2: Kkm2Home):
    """Archive, version, validate and load every submission of the partition's municipality."""
    k = context.partition_key
    results = []
    profiles, problems = load_profiles(kkm2.home.reference / "profiler")
    for p in problems:
        context.log.warning(p)
    with kkm2.warehouse() as con:
        for sub in submissions_for(kkm2.home.landing, k):
            try:
                r = ingest_submission(con, kkm2.home, sub, profiles)
            except Exception as e:  # one submission's failure holds back that submission only
                context.log.error(f"{k}/{sub.aar}: indlæsningen fejlede: {type(e).__name__}: {e}")
                r = ingest_failed(con, kkm2.home, sub, e, profiles)
            context.log.info(f"{k}/{sub.aar}: version {r.version} {r.status}")
            if r.besked:
                context.log.warning(f"{k}/{sub.aar}: {r.besked}")
            results.append(r)
        write_snapshot(con, kkm2.home)
    guarded = [f"{k}/{r.aar}: {r.besked}" for r in results if r.status == "vagt"]
    for name, key in RAW_KEYS.items():
        loaded = [r for r in results if r.counts]
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                "indberetninger": dg.MetadataValue.json(
                    [
                        {"aar": r.aar, "version": r.version, "status": r.status, **r.counts.get(name, {})}
                        for r in results
                    ]
                ),
                "raekker_accepteret": sum(r.counts[name]["raekker_accepteret"] for r in loaded),
                "vagt": dg.MetadataValue.json(guarded),
            },
        )
        failures = [
            {"aar": r.aar, "version": r.version, **r.gx[name]}
            for r in loaded
            if not r.gx.get(name, {}).get("success", True)
        ]
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name=GX_CHECK,
            passed=not failures,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"fund": dg.MetadataValue.json(failures)},
            description=None
            if not failures
            else "GX fandt fejl i rækker, som validatoren accepterede: versionen er holdt tilbage.",
        )
