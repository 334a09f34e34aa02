"""Ingestion assets: municipalities' submissions from the landing folder into `raw`, through gate 1 (the
contract validator, then GX on the accepted rows as a blocking asset check).

Partitioned by municipality. One run may ingest many municipalities: a run over a partition range (a
single-run backfill, BackfillPolicy.single_run()) ingests every municipality in it; `kkm2 run` starts one
range run over all changed municipalities and names them in the tag KOMMUNER_TAG, so the others inside the
range are left alone (Dagster 1.13 runs only contiguous ranges, not a subset). Each ingested municipality
gets its own materialisation of every raw asset and its own GX check result, for its partition; one
municipality's failure never stops another's."""

import contextlib
import warnings
from collections import Counter

import dagster as dg

from pipeline import progress
from pipeline.contract.datasets import DATASETS
from pipeline.contract.profiles import load_profiles
from pipeline.defs.partitions import kommune_partitions
from pipeline.defs.resources import DUCKDB_WRITER_POOL, Kkm2Home
from pipeline.ingest import Prepared, commit_submission, discover, ingest_failed, prepared_ahead
from pipeline.states import LandingOutcome
from pipeline.status import write_snapshot
from pipeline.timing import stage
from pipeline.warehouse import ensure_schema

RAW_KEYS = {name: dg.AssetKey(["raw", name]) for name in DATASETS}
GX_CHECK = "gx_accepterede_raekker"
# The municipalities a run ingests, in order, comma-separated (`kkm2 run`); without it, every partition of the
# run. Partitions of the run's range that it does not name are left as they were.
KOMMUNER_TAG = "kkm2/kommuner"
# Dagster's tags for a run over a range of partitions (dagster._core.storage.tags)
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def run_targets(partition_keys, tag: str | None) -> list[str]:
    """The municipalities a run ingests: those of KOMMUNER_TAG (in its order) that the run's partitions hold,
    else all of its partitions."""
    if tag is None:
        return list(partition_keys)
    keys = set(partition_keys)
    return [k for k in dict.fromkeys(tag.split(",")) if k in keys]


with warnings.catch_warnings():  # a partitioned check (one result per municipality) is a preview in 1.13
    warnings.simplefilter("ignore", dg.PreviewWarning)
    GX_CHECK_SPECS = [
        dg.AssetCheckSpec(
            GX_CHECK,
            asset=key,
            blocking=True,
            partitions_def=kommune_partitions,
            description="GX genkontrollerer de accepterede rækker med suiten genereret fra "
            "kontrakten; et fund holder indberetningsversionen tilbage.",
        )
        for key in RAW_KEYS.values()
    ]


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
    check_specs=GX_CHECK_SPECS,
    partitions_def=kommune_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=DUCKDB_WRITER_POOL,
    # Only so that no output is required: each municipality's materialisations and check results are the
    # events below, for its own partition, not outputs for the run's whole range. A submission is loaded into
    # all raw tables together, so every run ingests (and records) all of them.
    can_subset=True,
)
def raw_submissions(context: dg.AssetExecutionContext, kkm2: Kkm2Home):
    """Archive, version, validate and load every submission of the run's municipalities."""
    home = kkm2.home
    targets = run_targets(context.partition_keys, context.run.tags.get(KOMMUNER_TAG))
    profiles, problems = load_profiles(home.reference / "profiler")
    for p in problems:
        context.log.warning(p)
    subs, _ = discover(home.landing)
    queue = [sub for k in targets for (kode, _aar), sub in sorted(subs.items()) if kode == k]
    left = Counter(sub.kommunekode for sub in queue)
    results: dict[str, list] = {k: [] for k in targets}
    failed: list[str] = []
    with kkm2.warehouse() as con, progress.task("indlaesning", total=len(targets)):
        ensure_schema(con)
        for k in targets:
            if not left[k]:  # nothing in landing/ for it (any more): recorded as such
                progress.advance(done=1)
                yield from _municipality_events(context, k, [], home)
        # the next submission is prepared (archive, gate 1, GX on its sandbox) while this one is written
        for sub, prepared in prepared_ahead(con, home, queue, profiles):
            k = sub.kommunekode
            try:
                r = _ingest_one(context, con, home, sub, prepared, profiles)
                results[k].append(r)
                progress.advance(rows=sum(c.get("raekker_modtaget", 0) for c in r.counts.values()))
            except Exception as e:  # outside a submission's own handling: only this municipality fails
                context.log.error(f"{k}: indlæsningen stoppede: {type(e).__name__}: {e}")
                _rollback(con)
                if k not in failed:
                    failed.append(k)
            left[k] -= 1
            if not left[k]:
                progress.advance(done=1)
            if not left[k] and k not in failed:
                yield from _municipality_events(context, k, results[k], home)
        write_snapshot(con, home)
    if failed:
        # The run fails. The partitions of its range it did not ingest are unchanged: they are recorded so,
        # or Dagster would show them as failed too (planned in a failed run, never materialised).
        for k in context.partition_keys:
            if k not in targets:
                for key in RAW_KEYS.values():
                    yield dg.AssetMaterialization(
                        asset_key=key, partition=k, metadata={"uaendret": True, "indberetninger": []}
                    )
        raise dg.Failure(description=f"Indlæsningen fejlede for {', '.join(failed)}; se loggen.")


def _ingest_one(context, con, home, sub, prepared, profiles):
    """Write one prepared submission (prepared_ahead); its failure holds back that submission only."""
    k, aar = sub.kommunekode, sub.aar
    try:
        with stage("gate1_wait"):  # the writer waits for the preparing thread (not orchestration's own time)
            outcome = prepared.result()
        r = commit_submission(con, outcome) if isinstance(outcome, Prepared) else outcome
    except Exception as e:
        context.log.error(f"{k}/{aar}: indlæsningen fejlede: {type(e).__name__}: {e}")
        _rollback(con)
        r = ingest_failed(con, home, sub, e, profiles)
    context.log.info(f"{k}/{aar}: version {r.version} {r.status}")
    if r.besked:
        context.log.warning(f"{k}/{aar}: {r.besked}")
    return r


def _rollback(con) -> None:
    with contextlib.suppress(Exception):  # no transaction was open
        con.execute("ROLLBACK")


def _municipality_events(context, k: str, results: list, home):
    """One municipality's materialisation of each raw asset and its GX check result, for its partition. The
    check links to the pages that show the municipality's findings once the next build has published them:
    its feedback page and its Data Docs (gates 2 and 3) in the current release."""
    guarded = [f"{k}/{r.aar}: {r.besked}" for r in results if r.status == LandingOutcome.VAGT]
    loaded = [r for r in results if r.counts]
    for name, key in RAW_KEYS.items():
        yield dg.AssetMaterialization(
            asset_key=key,
            partition=k,
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
        # the evidence: per year, the rows GX decided on and what each expectation evaluated and found
        evidence = [
            {
                "aar": r.aar,
                "version": r.version,
                "raekker": r.gx[name].get("rows", 0),
                "forventninger": [
                    {
                        "forventning": e["expectation"],
                        "kolonne": e["column"],
                        "evalueret": e["evaluated"],
                        "fund": e["unexpected"],
                    }
                    for e in r.gx[name].get("expectations", [])
                ],
            }
            for r in loaded
            if name in r.gx
        ]
        yield dg.AssetCheckEvaluation(
            asset_key=key,
            check_name=GX_CHECK,
            passed=not failures,
            severity=dg.AssetCheckSeverity.ERROR,
            blocking=True,
            partition=k,
            target_materialization_data=_latest_materialization(context, key, k),
            metadata={
                "evalueret_raekker": sum(e["raekker"] for e in evidence),
                "forventninger": sum(len(e["forventninger"]) for e in evidence),
                "bevis": dg.MetadataValue.json(evidence),
                "fund": dg.MetadataValue.json(failures),
                **{
                    f"tilbagemelding_{r.aar}": dg.MetadataValue.path(
                        str(home.current / "kommuner" / k / f"tilbagemelding_{r.aar}.html")
                    )
                    for r in loaded
                },
                "data_docs": dg.MetadataValue.path(str(home.current / "quality" / k / "index.html")),
            },
            description=None
            if not failures
            else "GX fandt fejl i rækker, som validatoren accepterede: versionen er holdt tilbage.",
        )


def _latest_materialization(context, key: dg.AssetKey, k: str):
    """The materialisation a check result belongs to (the one just recorded), so the UI links the two."""
    from dagster._core.definitions.asset_checks.asset_check_evaluation import (
        AssetCheckEvaluationTargetMaterializationData,
    )

    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=key, asset_partitions=[k]), limit=1
    ).records
    if not records:
        return None
    return AssetCheckEvaluationTargetMaterializationData(
        run_id=records[0].event_log_entry.run_id,
        storage_id=records[0].storage_id,
        timestamp=records[0].timestamp,
    )
