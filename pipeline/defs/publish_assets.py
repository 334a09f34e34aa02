"""The release: published after a successful dbt build."""

import dagster as dg

from pipeline.defs.resources import DUCKDB_WRITER_POOL, Kkm2Home
from pipeline.publish import PUBLISHED_TABLES, publish_release
from pipeline.timing import stage


@dg.asset(
    key=dg.AssetKey(["release", "current"]),
    group_name="release",
    deps=[dg.AssetKey(["marts", t]) for t in PUBLISHED_TABLES] + [dg.AssetKey(["quality", "gates"])],
    pool=DUCKDB_WRITER_POOL,
    description="Udgivelsen: Parquet pr. tabel, en skrivebeskyttet warehouse.duckdb og _manifest.json; "
    "derefter peger `current` på den.",
)
def release(context: dg.AssetExecutionContext, kkm2: Kkm2Home) -> dg.MaterializeResult:
    with kkm2.writer(), stage("publish"):  # reads the live warehouse: no writer may change it meanwhile
        path = publish_release(kkm2.home)
    context.log.info(f"Udgivelse: {path}")
    return dg.MaterializeResult(metadata={"sti": str(path), "release_id": path.name})
