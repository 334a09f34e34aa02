"""The nightly full build, in Danish time."""

import dagster as dg

from pipeline.defs.jobs import build_job
from pipeline.settings import TIME_ZONE

nightly_build = dg.ScheduleDefinition(
    name="natlig_build",
    job=build_job,
    cron_schedule="0 2 * * *",
    execution_timezone=TIME_ZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Hver nat kl. 02:00 (dansk tid): referencedata, dbt build, kontroller og udgivelse.",
)
