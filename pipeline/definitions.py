"""The kkm2 Dagster definitions: assembled here, defined in pipeline/defs/."""

from __future__ import annotations

import dagster as dg

from pipeline.defs.dbt_assets import dbt_resource, kkm2_dbt_models
from pipeline.defs.ingest_assets import raw_submissions
from pipeline.defs.partitions import kommune_partitions
from pipeline.defs.publish_assets import release
from pipeline.defs.resources import Kkm2Home

ingest_job = dg.define_asset_job(
    "ingest",
    selection=dg.AssetSelection.assets(raw_submissions),
    partitions_def=kommune_partitions,
    description="Én kommunes indberetninger fra landing/ til raw (gate 1).",
)
build_job = dg.define_asset_job(
    "build",
    selection=dg.AssetSelection.assets(kkm2_dbt_models, release),
    description="dbt build (staging → marts, tests som checks) og udgivelse.",
)

defs = dg.Definitions(
    assets=[raw_submissions, kkm2_dbt_models, release],
    jobs=[ingest_job, build_job],
    resources={"kkm2": Kkm2Home(), "dbt": dbt_resource()},
)
