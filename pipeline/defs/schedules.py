"""The nightly full build, in Danish time: every dbt data test, also the heavy ones; unless nothing a build
reads has changed since the current release was built (pipeline.run.build_is_current): then no run."""

import json

import dagster as dg

from pipeline.defs.dbt_assets import HEAVY_TESTS_TAG
from pipeline.defs.jobs import build_job
from pipeline.defs.resources import Kkm2Home
from pipeline.run import INPUTS_TAG, NOTHING_NEW, build_inputs, build_is_current
from pipeline.settings import TIME_ZONE


@dg.schedule(
    name="natlig_build",
    job=build_job,
    cron_schedule="0 2 * * *",
    execution_timezone=TIME_ZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Hver nat kl. 02:00 (dansk tid): referencedata, dbt build med alle dbt-tests (også dem, der "
    "læser alle målinger), kontroller og udgivelse — når noget er ændret siden den aktuelle udgivelse.",
)
def nightly_build(context: dg.ScheduleEvaluationContext, kkm2: Kkm2Home):
    home = kkm2.home
    inputs = build_inputs(home)
    if build_is_current(home, inputs):
        return dg.SkipReason(NOTHING_NEW)
    return dg.RunRequest(tags={HEAVY_TESTS_TAG: "true", INPUTS_TAG: json.dumps(inputs)})
