"""The kkm2 Dagster definitions: assembled here, defined in pipeline/defs/."""

import dagster as dg

from pipeline.defs.dbt_assets import audit_tables, dbt_resource, kkm2_dbt_models, kkm2_status_mart
from pipeline.defs.gate_assets import quality_gates
from pipeline.defs.ingest_assets import raw_submissions
from pipeline.defs.jobs import build_job, ingest_job
from pipeline.defs.publish_assets import release
from pipeline.defs.reference_assets import reference_data
from pipeline.defs.resources import Kkm2Home
from pipeline.defs.schedules import nightly_build
from pipeline.defs.sensors import build_on_new_data, landing_sensor
from pipeline.defs.steward_jobs import accept_job

defs = dg.Definitions(
    assets=[
        raw_submissions,
        reference_data,
        kkm2_dbt_models,
        quality_gates,
        kkm2_status_mart,
        release,
        *audit_tables(),
    ],
    jobs=[ingest_job, build_job, accept_job],
    sensors=[landing_sensor, build_on_new_data],
    schedules=[nightly_build],
    resources={"kkm2": Kkm2Home(), "dbt": dbt_resource()},
)
