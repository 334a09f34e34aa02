"""The nightly full build, in Danish time: every dbt data test, also the heavy ones."""

import dagster as dg

from pipeline.defs.dbt_assets import HEAVY_TESTS_TAG
from pipeline.defs.jobs import build_job
from pipeline.settings import TIME_ZONE

nightly_build = dg.ScheduleDefinition(
    name="natlig_build",
    job=build_job,
    cron_schedule="0 2 * * *",
    execution_timezone=TIME_ZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    tags={HEAVY_TESTS_TAG: "true"},
    description="Hver nat kl. 02:00 (dansk tid): referencedata, dbt build med alle dbt-tests (også dem, der "
    "læser alle målinger), kontroller og udgivelse.",
)
