"""Sensors: the landing folder (→ one ingestion run for the municipalities that are ready) and new data or reference data (→ a build)."""

import json
import time

import dagster as dg

from pipeline.contract.profiles import load_profiles
from pipeline.defs.ingest_assets import KOMMUNER_TAG, RANGE_END_TAG, RANGE_START_TAG
from pipeline.defs.jobs import build_job, ingest_job
from pipeline.defs.partitions import kommune_partitions
from pipeline.defs.resources import Kkm2Home
from pipeline.landing import WatchState, folder_fingerprint, scan
from pipeline.run import INPUTS_TAG, NOTHING_NEW, build_inputs, build_is_current
from pipeline.states import LandingOutcome
from pipeline.status import versions_fingerprint


@dg.sensor(
    job=ingest_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Ser efter nye, ændrede og fjernede filer i landing/. En indberetning indlæses, når dens "
    "filer har været uændrede i KKM2_SETTLE_SECONDS (standard 120 s), eller straks når mappen har en "
    "'.klar'-fil. Forsvinder de fleste filer på én gang, fjernes intet, og stewarden får besked.",
)
def landing_sensor(context: dg.SensorEvaluationContext, kkm2: Kkm2Home) -> dg.SensorResult:
    home = kkm2.home
    profiles, _ = load_profiles(home.reference / "profiler")  # their problems are the load's to report
    result = scan(home, WatchState.from_cursor(context.cursor), time.time(), profiles)
    for m in result.messages:
        context.log.warning(m)
    waiting = [f"{d.kommunekode}/{d.aar}" for d in result.decisions if d.kind == LandingOutcome.VENTER]
    requests = []
    if len(result.requests) == 1:
        [(k, run_key)] = result.requests
        requests.append(
            dg.RunRequest(
                run_key=run_key,
                partition_key=k,
                tags={
                    "kkm2/indberetninger": ",".join(
                        f"{d.aar}" for d in result.decisions if d.kommunekode == k
                    )
                },
            )
        )
    elif result.requests:  # one run for all of them (pipeline/defs/ingest_assets.py)
        order = {k: i for i, k in enumerate(kommune_partitions.get_partition_keys())}
        ready = sorted(result.requests, key=lambda r: order.get(r[0], len(order)))
        requested = {k for k, _ in ready}
        requests.append(
            dg.RunRequest(
                run_key="+".join(run_key for _, run_key in ready),
                tags={
                    RANGE_START_TAG: ready[0][0],
                    RANGE_END_TAG: ready[-1][0],
                    KOMMUNER_TAG: ",".join(k for k, _ in ready),
                    "kkm2/indberetninger": ",".join(
                        f"{d.kommunekode}/{d.aar}" for d in result.decisions if d.kommunekode in requested
                    ),
                },
            )
        )
    skip = None
    if not requests:
        skip = "; ".join(result.messages) or (
            f"Venter på, at filerne falder til ro: {', '.join(waiting)}"
            if waiting
            else "Intet nyt i landing/."
        )
    return dg.SensorResult(run_requests=requests, cursor=result.state.to_cursor(), skip_reason=skip)


ACTIVE_RUN_STATUSES = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


@dg.sensor(
    job=build_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Bygger og udgiver, når indlæsningen har givet nye versioner (eller stewarden har fastlåst "
    "eller accepteret en), og når referencedata i reference/ ændres — først når ingen indlæsning kører.",
)
def build_on_new_data(context: dg.SensorEvaluationContext, kkm2: Kkm2Home) -> dg.SensorResult:
    home = kkm2.home
    fp = f"{versions_fingerprint(home)[:16]}-{folder_fingerprint(home.reference)[:16]}"
    if fp == context.cursor:
        return dg.SensorResult(skip_reason="Ingen nye versioner eller referencedata siden sidste byggeri.")
    busy = context.instance.get_runs(
        filters=dg.RunsFilter(job_name=ingest_job.name, statuses=ACTIVE_RUN_STATUSES), limit=1
    )
    if busy:
        return dg.SensorResult(skip_reason="Venter: en indlæsning kører stadig.")
    inputs = build_inputs(home)
    if build_is_current(home, inputs):  # e.g. `kkm2 run` built it all before the UI started
        return dg.SensorResult(skip_reason=NOTHING_NEW, cursor=fp)
    request = dg.RunRequest(run_key=f"build-{fp}", tags={INPUTS_TAG: json.dumps(inputs)})
    return dg.SensorResult(run_requests=[request], cursor=fp)
