"""The Spark target's tests (issue 22, docs/spark.md): `make test-spark`, after `make test`, with the Spark venv
(.venv-spark) named by KKM2_SPARK_VENV. Without it (plain `make test`, `pytest`) nothing here is collected:
Spark needs its own venv and several minutes."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess

import pytest

from pipeline import spark
from pipeline.settings import Home, connect

if not os.environ.get("KKM2_SPARK_VENV"):
    collect_ignore_glob = ["test_*.py"]


@pytest.fixture(scope="session")
def spark_home(demo_home, tmp_path_factory) -> Home:
    """The demo data built on both targets: the session's demo home (kkm2 run on DuckDB) gives the DuckDB
    warehouse; a copy of it is this home, whose sources are exported as Parquet and built by dbt on Spark
    (`dbt build`: seeds, models, data tests and every dbt unit test)."""
    source, _ = demo_home
    home = Home(tmp_path_factory.mktemp("spark_home")).ensure()
    shutil.copy(source.warehouse, home.warehouse)
    con = connect(home.warehouse, read_only=True)
    try:
        spark.export_sources(con, spark.sources_dir(home))
    finally:
        con.close()
    log_path = home.logs / "dbt_spark.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    # a failed build fails no fixture: the tests read run_results.json and say what failed
    with log_path.open("w") as log, contextlib.suppress(subprocess.CalledProcessError):
        spark.build(home, log=log)
    return home
