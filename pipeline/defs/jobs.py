"""The two jobs: ingestion (partitioned by municipality; one run may take many), and the build (reference
data, dbt, gates, release)."""

import dagster as dg

from pipeline.defs.dbt_assets import kkm2_dbt_models, kkm2_status_mart
from pipeline.defs.gate_assets import quality_gates
from pipeline.defs.ingest_assets import raw_submissions
from pipeline.defs.partitions import kommune_partitions
from pipeline.defs.publish_assets import release
from pipeline.defs.reference_assets import reference_data

# Ingestion runs its own GX check (gate 1). The dbt source tests on raw.* run with the build, once for all
# municipalities, not once per partition.
ingest_job = dg.define_asset_job(
    "ingest",
    selection=dg.AssetSelection.assets(raw_submissions).without_checks()
    | dg.AssetSelection.checks(*raw_submissions.check_keys),
    partitions_def=kommune_partitions,
    description="Kommunernes indberetninger fra landing/ til raw (gate 1): én kørsel for en kommune eller for "
    "flere (et interval af partitioner; tagget kkm2/kommuner siger hvilke).",
)
build_job = dg.define_asset_job(
    "build",
    # the dbt source tests on raw.* are checks of the raw assets; they run here, with the build
    selection=dg.AssetSelection.assets(
        reference_data, kkm2_dbt_models, quality_gates, kkm2_status_mart, release
    )
    | dg.AssetSelection.checks(*[k for k in kkm2_dbt_models.check_keys if k.asset_key.path[0] == "raw"]),
    description="Referencedata, dbt build (staging → marts, tests som checks) og udgivelse.",
)
