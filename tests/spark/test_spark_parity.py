"""The same dbt project on Spark SQL gives the same marts (issue 22): the demo data built by `kkm2 run` on DuckDB
and by `dbt build` on Spark (dbt-spark's session method, Spark in process), every model, data test and dbt unit
test passing on Spark, and every mart equal value for value: EXCEPT ALL both ways is empty, with the same
columns and types (Spark's Parquet files read by DuckDB), doubles to the last bit."""

from __future__ import annotations

import json

import pytest

from pipeline import spark
from pipeline.settings import connect


def outcomes(home, resource_type: str) -> dict[str, str]:
    """Each node of the type in the Spark build's manifest (model, unit_test, test) -> its status in the
    build's run results, or `not run`."""
    target = spark.spark_dir(home) / "target"
    assert (target / "run_results.json").exists(), (home.logs / "dbt_spark.log").read_text()[-5000:]
    manifest = json.loads((target / "manifest.json").read_text())
    status = {
        r["unique_id"]: r["status"] for r in json.loads((target / "run_results.json").read_text())["results"]
    }
    nodes = {**manifest["nodes"], **manifest.get("unit_tests", {})}
    return {
        uid.split(".", 2)[-1]: status.get(uid, "not run")
        for uid, node in nodes.items()
        if node["resource_type"] == resource_type and node["package_name"] == "kkm2"
    }


def test_every_model_builds_on_spark(spark_home):
    models = outcomes(spark_home, "model")
    assert len(models) == 36
    assert {m: s for m, s in models.items() if s != "success"} == {}


def test_every_dbt_unit_test_passes_on_spark(spark_home):
    unit = outcomes(spark_home, "unit_test")
    assert len(unit) >= 30
    assert {t: s for t, s in unit.items() if s != "pass"} == {}


def test_every_data_test_passes_on_spark(spark_home):
    tests = outcomes(spark_home, "test")
    assert len(tests) > 150
    assert {t: s for t, s in tests.items() if s != "pass"} == {}


def marts_of_duckdb(con) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'duck' AND table_schema = 'marts'"
        " AND table_type = 'BASE TABLE' ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


@pytest.fixture(scope="module")
def both(spark_home):
    con = connect()
    con.execute(f"ATTACH '{spark_home.warehouse}' AS duck (READ_ONLY)")
    folders = spark.mart_folders(spark_home)
    for name, folder in folders.items():
        con.execute(f"CREATE VIEW spark_{name} AS SELECT * FROM read_parquet('{folder}/*.parquet')")
    yield con, marts_of_duckdb(con), sorted(folders)
    con.close()


def test_spark_builds_every_mart_duckdb_has(both):
    _, duck, sparks = both
    assert len(duck) == 11
    assert sparks == duck


@pytest.mark.parametrize(
    "mart",
    [
        "dim_bygning",
        "dim_kommune",
        "dim_kommune_aar",
        "dim_noegletal",
        "fct_forbrug_maaned",
        "fct_noegletal_bygning",
        "mart_benchmark",
        "mart_indberetning_status",
        "mart_kommune_sammenligning",
        "mart_noegletal_bygning",
        "mart_noegletal_kommune",
    ],
)
def test_the_mart_is_identical_on_both_targets(both, mart):
    con, duck, sparks = both
    assert mart in duck and mart in sparks
    columns = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = 'duck'"
        " AND table_schema = 'marts' AND table_name = ? ORDER BY ordinal_position",
        [mart],
    ).fetchall()
    spark_columns = [(r[0], r[1]) for r in con.execute(f"DESCRIBE spark_{mart}").fetchall()]
    assert spark_columns == columns
    n = con.execute(f"SELECT count(*) FROM duck.marts.{mart}").fetchone()[0]
    assert n > 0
    assert con.execute(f"SELECT count(*) FROM spark_{mart}").fetchone()[0] == n
    only_duckdb = con.execute(
        f"SELECT * FROM duck.marts.{mart} EXCEPT ALL SELECT * FROM spark_{mart} LIMIT 5"
    ).fetchall()
    only_spark = con.execute(
        f"SELECT * FROM spark_{mart} EXCEPT ALL SELECT * FROM duck.marts.{mart} LIMIT 5"
    ).fetchall()
    assert (only_duckdb, only_spark) == ([], [])
