"""`KKM2_DBT_TARGET=spark kkm2 run` publishes what `kkm2 run` on DuckDB publishes (issue 22): the same demo
submissions loaded into a home of their own, built by dbt on Spark, gated and published by kkm2 as always,
give a release whose every Parquet file holds the values of the DuckDB release's (the session's demo home).
Left out: the release's id and the time each submission was received (when each run loaded it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.demo_data import generate
from pipeline.settings import Home, connect

# the release's id and when a submission was received: the moment of each run, not a result of the build
RUN_TIME_COLUMNS = {"release_id", "senest_modtaget_tid"}


@pytest.fixture(scope="module")
def spark_release(tmp_path_factory) -> Path:
    home = Home(tmp_path_factory.mktemp("spark_run")).ensure()
    # the demo home's submissions (tests/conftest.py)
    generate(
        home.landing, kommuner=3, aar=[2023, 2024], seed=7, bygninger_pr_kommune=8, reference=home.reference
    )
    env = {**os.environ, "KKM2_DBT_TARGET": "spark", "KKM2_HOME": str(home.root)}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "kkm2"), "run", "--home", str(home.root)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert home.current.exists(), result.stdout[-4000:]
    return home.current.resolve()


def parquet_files(release: Path) -> list[str]:
    return sorted(str(p.relative_to(release)) for p in release.rglob("*.parquet"))


def test_the_spark_build_is_published(spark_release):
    assert (spark_release / "exports" / "mart_noegletal_kommune.parquet").exists()
    assert (spark_release / "report" / "index.html").exists()


def test_the_release_has_the_files_of_the_duckdb_release(demo_home, spark_release):
    duckdb_release = demo_home[0].current.resolve()
    files = parquet_files(duckdb_release)
    assert len(files) > 10
    assert parquet_files(spark_release) == files


def test_every_published_parquet_file_holds_the_same_values(demo_home, spark_release):
    duckdb_release = demo_home[0].current.resolve()
    con = connect()
    differences = {}
    for name in parquet_files(duckdb_release):
        a, b = (f"read_parquet('{release / name}')" for release in (duckdb_release, spark_release))
        columns = [(r[0], r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM {a}").fetchall()]
        assert [(r[0], r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM {b}").fetchall()] == columns, name
        kept = ", ".join(f'"{c}"' for c, _ in columns if c not in RUN_TIME_COLUMNS)
        counts = tuple(
            con.execute(
                f"SELECT count(*) FROM (SELECT {kept} FROM {x} EXCEPT ALL SELECT {kept} FROM {y})"
            ).fetchone()[0]
            for x, y in ((a, b), (b, a))
        )
        if counts != (0, 0):
            differences[name] = counts
    assert differences == {}
