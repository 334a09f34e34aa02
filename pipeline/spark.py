"""The dbt project on Spark SQL (docs/spark.md): the `spark` target of dbt_project/profiles.yml, chosen by
KKM2_DBT_TARGET=spark. Ingestion, the gates, the audit, publishing and the report stay on DuckDB; only the dbt
build moves. Around it:

- `export_sources`: what the models read, from the DuckDB warehouse as Parquet under <home>/spark/sources: the
  active version's accepted rows of each submission (raw/<dataset>/kommunekode=…/aar=…/), and the audit and
  reference tables whole. Each dataset's folder also holds a zero-row file with its schema, so a dataset
  without rows is an empty table, not a missing one.
- `run_dbt`: dbt from the Spark venv (.venv-spark, `make spark-install`) as a subprocess, Spark in process.
  Before a build it registers the exported files as the sources' tables (`register_spark_sources`).
- `import_tables`: the tables Spark wrote (Parquet under <home>/spark/warehouse/<schema>.db: seeds,
  intermediate tables, marts) back into the DuckDB warehouse, where the gates and publishing read them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from pipeline.settings import REPO_ROOT, TIME_ZONE, Home

TARGET_ENV = "KKM2_DBT_TARGET"
SOURCE_SCHEMAS = ("raw", "audit", "reference")
# What comes back from Spark into the DuckDB warehouse: the seeds, the intermediate tables (the gates read two)
# and the marts. Spark names a managed table's folder <schema>.db/<table> under its warehouse folder.
IMPORTED_SCHEMAS = ("ref", "intermediate", "marts")


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


def export_sources(con, dest: Path, schemas: tuple[str, ...] = SOURCE_SCHEMAS) -> dict[str, int]:
    """Write the Spark target's sources of `schemas` from the DuckDB warehouse `con` into `dest` (replacing what
    is there): raw rows of active versions only, partitioned by submission; audit and reference tables whole.
    Returns the rows written per `<schema>.<table>`."""
    counts: dict[str, int] = {}
    for schema in schemas:
        shutil.rmtree(dest / schema, ignore_errors=True)
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


def spark_environment() -> dict[str, str]:
    """What Spark's JVM needs from the environment of dbt: bound to loopback (no network is needed), and Spark's
    own logging at errors only."""
    log4j = REPO_ROOT / "dbt_project" / "spark-log4j2.properties"
    return {"SPARK_LOCAL_IP": "127.0.0.1", "SPARK_SUBMIT_OPTS": f"-Dlog4j2.configurationFile=file:{log4j}"}


def prepare_environment() -> None:
    """This process's environment for dbt on Spark as a subprocess of it (dagster-dbt passes os.environ)."""
    for key, value in spark_environment().items():
        os.environ.setdefault(key, value)


def dbt_env(home: Home) -> dict[str, str]:
    """The environment of dbt on Spark: this home, the spark target, Spark bound to loopback, Java in the
    Danish time zone (the session's is set by the profile too)."""
    env = {**os.environ, "KKM2_HOME": str(home.root), TARGET_ENV: "spark", "TZ": TIME_ZONE}
    for key, value in spark_environment().items():
        env.setdefault(key, value)
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


def table_folders(home: Home, schema: str) -> dict[str, Path]:
    """Each table Spark wrote in `schema` (marts, intermediate, ref): name -> its folder of Parquet files.
    Views (the staging models) have none."""
    root = warehouse_dir(home) / f"{schema}.db"
    if not root.is_dir():
        return {}
    return {p.name: p for p in sorted(root.iterdir()) if p.is_dir() and any(p.glob("*.parquet"))}


def mart_folders(home: Home) -> dict[str, Path]:
    return table_folders(home, "marts")


def persisted_docs(manifest: dict) -> dict[tuple[str, str], tuple[str, dict[str, str]]]:
    """The descriptions dbt's `persist_docs` writes as comments on DuckDB (models and seeds that ask for it):
    (schema, table) -> (the table's description, each column's), from a dbt manifest."""
    docs = {}
    for node in manifest["nodes"].values():
        persist = node.get("config", {}).get("persist_docs") or {}
        if node["resource_type"] in ("model", "seed") and persist.get("relation"):
            columns = (
                {c: v.get("description") or "" for c, v in node["columns"].items()}
                if persist.get("columns")
                else {}
            )
            docs[(node["schema"], node["alias"])] = (node.get("description") or "", columns)
    return docs


def import_tables(
    con, home: Home, schemas: tuple[str, ...] = IMPORTED_SCHEMAS, docs: dict | None = None
) -> list[str]:
    """Replace the DuckDB warehouse's tables of `schemas` by the Parquet tables Spark built (same names, columns
    and values; an instant is TIMESTAMPTZ again), with the comments `docs` gives (persisted_docs), as dbt's
    persist_docs writes them on DuckDB. Returns `<schema>.<table>` of each table imported."""
    docs = docs or {}
    names = []
    for schema in schemas:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(schema)}")
        for name, folder in table_folders(home, schema).items():
            files = _literal(str(folder / "*.parquet"))
            relation = f"{_quote(schema)}.{_quote(name)}"
            kind = con.execute(
                "SELECT table_type FROM information_schema.tables WHERE table_catalog = current_database()"
                " AND table_schema = ? AND table_name = ?",
                [schema, name],
            ).fetchall()
            if kind and kind[0][0] == "VIEW":
                con.execute(f"DROP VIEW {relation}")
            con.execute(f"CREATE OR REPLACE TABLE {relation} AS SELECT * FROM read_parquet({files})")
            table_doc, column_docs = docs.get((schema, name), ("", {}))
            if table_doc:
                con.execute(f"COMMENT ON TABLE {relation} IS {_literal(table_doc)}")
            present = {r[0] for r in con.execute(f"DESCRIBE {relation}").fetchall()}
            for column, doc in column_docs.items():
                if doc and column in present:
                    con.execute(f"COMMENT ON COLUMN {relation}.{_quote(column)} IS {_literal(doc)}")
            names.append(f"{schema}.{name}")
    return names
