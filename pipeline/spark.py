"""The dbt project on Spark SQL (docs/spark.md): the `spark` target of dbt_project/profiles.yml, chosen by
KKM2_DBT_TARGET=spark. Ingestion, the gates, the audit, publishing and the report stay on DuckDB; only the dbt
build moves. Around it:

- `export_sources`: what the models read, from the DuckDB warehouse as Parquet under <home>/spark/sources: the
  active version's accepted rows of each submission (raw/<dataset>/kommunekode=…/aar=…/), and the audit and
  reference tables whole. Each dataset's folder also holds a zero-row file with its schema, so a dataset
  without rows is an empty table, not a missing one.
- `run_dbt`: dbt from the Spark venv (.venv-spark, `make spark-install`) as a subprocess, Spark in process.
  Before a build it registers the exported files as the sources' tables (`register_spark_sources`).
- `import_marts`: the marts Spark wrote (Parquet tables under <home>/spark/warehouse/marts.db) back into the
  DuckDB warehouse's `marts` schema, where the gates and publishing read them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from pipeline.settings import REPO_ROOT, TIME_ZONE, Home

TARGET_ENV = "KKM2_DBT_TARGET"
SOURCE_SCHEMAS = ("raw", "audit", "reference")
# Spark names a managed table's folder <schema>.db/<table> under the warehouse folder.
MARTS_DIR = "marts.db"


def dbt_target() -> str:
    """The dbt target of this process: `default` (DuckDB) unless KKM2_DBT_TARGET names another."""
    return os.environ.get(TARGET_ENV, "").strip() or "default"


def on_spark() -> bool:
    return dbt_target() == "spark"


def spark_dir(home: Home) -> Path:
    return home.root / "spark"


def sources_dir(home: Home) -> Path:
    return spark_dir(home) / "sources"


def warehouse_dir(home: Home) -> Path:
    return spark_dir(home) / "warehouse"


def spark_venv() -> Path:
    """The Spark target's venv: KKM2_SPARK_VENV, else .venv-spark beside the repository's code."""
    return Path(os.environ.get("KKM2_SPARK_VENV") or REPO_ROOT / ".venv-spark")


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _tables(con, schema: str) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_catalog = current_database()"
        " ORDER BY table_name",
        [schema],
    ).fetchall()
    return [r[0] for r in rows]


def export_sources(con, dest: Path) -> dict[str, int]:
    """Write the Spark target's sources from the DuckDB warehouse `con` into `dest` (replacing what is there):
    raw rows of active versions only, partitioned by submission; audit and reference tables whole. Returns
    the rows written per `<schema>.<table>`."""
    if dest.exists():
        shutil.rmtree(dest)
    counts: dict[str, int] = {}
    for schema in SOURCE_SCHEMAS:
        for table in _tables(con, schema):
            folder = dest / schema / table
            folder.mkdir(parents=True)
            relation = f"{_quote(schema)}.{_quote(table)}"
            if schema == "raw":
                query = (
                    f"SELECT r.* FROM {relation} AS r SEMI JOIN audit.active_submissions AS a"
                    " USING (kommunekode, aar, version) ORDER BY ALL"
                )
            else:
                query = f"SELECT * FROM {relation} ORDER BY ALL"
            # the schema, also for a table without rows
            con.execute(
                f"COPY (SELECT * FROM ({query}) LIMIT 0) TO {_literal(str(folder / 'schema.parquet'))} (FORMAT parquet)"
            )
            n = con.execute(f"SELECT count(*) FROM ({query})").fetchone()[0]
            if n and schema == "raw":
                con.execute(
                    f"COPY ({query}) TO {_literal(str(folder))} (FORMAT parquet, PARTITION_BY (kommunekode, aar),"
                    " WRITE_PARTITION_COLUMNS true, OVERWRITE_OR_IGNORE true)"
                )
            elif n:
                con.execute(f"COPY ({query}) TO {_literal(str(folder / 'data.parquet'))} (FORMAT parquet)")
            counts[f"{schema}.{table}"] = n
    return counts


def dbt_env(home: Home) -> dict[str, str]:
    """The environment of dbt on Spark: this home, the spark target, Spark bound to loopback, Java in the
    Danish time zone (the session's is set by the profile too)."""
    env = {**os.environ, "KKM2_HOME": str(home.root), TARGET_ENV: "spark", "TZ": TIME_ZONE}
    env.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    log4j = REPO_ROOT / "dbt_project" / "spark-log4j2.properties"
    env.setdefault("SPARK_SUBMIT_OPTS", f"-Dlog4j2.configurationFile=file:{log4j}")
    venv_bin = str(spark_venv() / "bin")
    env["PATH"] = venv_bin + os.pathsep + env.get("PATH", "")
    env.pop("PYTHONPATH", None)
    return env


def dbt_executable() -> Path:
    dbt = spark_venv() / "bin" / "dbt"
    if not dbt.exists():
        raise FileNotFoundError(f"dbt for the Spark target is missing ({dbt}): run `make spark-install`")
    return dbt


def run_dbt(home: Home, *args: str, log=None) -> subprocess.CompletedProcess:
    """dbt <args> on the Spark target for this home (a subprocess; Spark runs inside it). Output goes to `log`
    (a file object) or is captured. Raises CalledProcessError when dbt fails."""
    spark_dir(home).mkdir(parents=True, exist_ok=True)
    cmd = [
        str(dbt_executable()),
        *args,
        "--project-dir",
        str(REPO_ROOT),
        "--profiles-dir",
        str(REPO_ROOT / "dbt_project"),
        "--target",
        "spark",
        "--target-path",
        str(spark_dir(home) / "target"),
        "--log-path",
        str(spark_dir(home) / "logs"),
    ]
    kwargs = {"stdout": log, "stderr": subprocess.STDOUT} if log else {"capture_output": True}
    result = subprocess.run(cmd, env=dbt_env(home), cwd=spark_dir(home), text=True, check=False, **kwargs)
    if result.returncode != 0:
        raise subprocess.CalledProcessError(result.returncode, cmd, result.stdout, result.stderr)
    return result


def build(home: Home, *build_args: str, log=None) -> None:
    """Register the exported sources as Spark tables, then `dbt build` on Spark."""
    run_dbt(home, "run-operation", "register_spark_sources", log=log)
    run_dbt(home, "build", *build_args, log=log)


def mart_folders(home: Home) -> dict[str, Path]:
    """Each mart table Spark wrote: name -> its folder of Parquet files."""
    root = warehouse_dir(home) / MARTS_DIR
    if not root.is_dir():
        return {}
    return {p.name: p for p in sorted(root.iterdir()) if p.is_dir()}


def import_marts(con, home: Home) -> list[str]:
    """Replace the DuckDB warehouse's marts by the Parquet tables Spark built (same names, columns and
    values; DuckDB's types where the contract names them). Returns the tables imported."""
    con.execute("CREATE SCHEMA IF NOT EXISTS marts")
    names = []
    for name, folder in mart_folders(home).items():
        files = _literal(str(folder / "*.parquet"))
        con.execute(f"CREATE OR REPLACE TABLE marts.{_quote(name)} AS SELECT * FROM read_parquet({files})")
        names.append(name)
    return names
