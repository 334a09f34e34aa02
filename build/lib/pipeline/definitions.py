"""The kkm2 Dagster definitions: assembled here, defined in pipeline/defs/."""

from __future__ import annotations

import dagster as dg

from pipeline.defs.dbt_assets import dbt_resource, kkm2_dbt_models
from pipeline.defs.ingest_assets import raw_submissions
from pipeline.defs.partitions import kommune_partitions
from pipeline.defs.publish_assets import release
from pipeline.defs.reference_assets import reference_data
from pipeline.defs.resources import Kkm2Home

# Ingestion runs its own GX check (gate 1). The dbt source tests on raw.* run with the build, once for all
# municipalities, not once per partition.
ingest_job = dg.define_asset_job(
    "ingest",
    selection=dg.AssetSelection.assets(raw_submissions).without_checks()
    | dg.AssetSelection.checks(*raw_submissions.check_keys),
    partitions_def=kommune_partitions,
    description="Én kommunes indberetninger fra landing/ til raw (gate 1).",
)
build_job = dg.define_asset_job(
    "build",
    selection=dg.AssetSelection.assets(reference_data, kkm2_dbt_models, release),
    description="Referencedata, dbt build (staging → marts, tests som checks) og udgivelse.",
)

defs = dg.Definitions(
    assets=[raw_submissions, reference_data, kkm2_dbt_models, release],
    jobs=[ingest_job, build_job],
    resources={"kkm2": Kkm2Home(), "dbt": dbt_resource()},
)
