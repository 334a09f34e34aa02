"""Publishing a release: `releases/<release_id>/` with `exports/<table>.parquet` per published table,
a read-only `warehouse.duckdb` copy and `_manifest.json`; then `current` is switched atomically.

A release is written into a temporary folder and renamed into place, so a reader never sees half of one."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from pipeline import __version__
from pipeline.feedback import write_feedback
from pipeline.settings import Home, connect

PUBLISHED_TABLES: tuple[str, ...] = (
    "dim_kommune",
    "dim_kommune_aar",
    "dim_noegletal",
    "dim_bygning",
    "fct_forbrug_maaned",
    "mart_noegletal_bygning",
    "mart_noegletal_kommune",
    "mart_benchmark",
    "mart_kommune_sammenligning",
    "mart_indberetning_status",
)
# DuckDB 2.x files cannot be opened by 1.x clients (DBeaver, ODBC, Power BI) unless written in an
# older storage version.
RELEASE_STORAGE_VERSION = "v1.0.0"


def new_release_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return now.strftime("%Y%m%dT%H%M%S") + f"{now.microsecond // 1000:03d}Z"


def publish_release(home: Home, release_id: str | None = None) -> Path:
    release_id = release_id or new_release_id()
    final = home.releases / release_id
    tmp = home.releases / f".{release_id}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "exports").mkdir(parents=True)
    manifest = {
        "release_id": release_id,
        "code_version": __version__,
        "build_time": datetime.now(UTC).isoformat(),
        "tables": {},
    }
    con = connect(tmp_dir=home.tmp / "duckdb")
    try:
        con.execute(f"ATTACH '{home.warehouse}' AS wh (READ_ONLY)")
        con.execute(
            f"ATTACH '{tmp / 'warehouse.duckdb'}' AS rel (STORAGE_VERSION '{RELEASE_STORAGE_VERSION}')"
        )
        for table in PUBLISHED_TABLES:
            src = f"(SELECT *, '{release_id}' AS release_id FROM wh.marts.{table})"
            con.execute(f"CREATE TABLE rel.main.{table} AS SELECT * FROM {src}")
            out = tmp / "exports" / f"{table}.parquet"
            con.execute(
                f"COPY rel.main.{table} TO '{out}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000)"
            )
            _copy_comments(con, table)
            schema = con.execute(f"DESCRIBE rel.main.{table}").fetchall()
            rows = con.execute(f"SELECT count(*) FROM rel.main.{table}").fetchall()[0][0]
            manifest["tables"][table] = {
                "rows": rows,
                "schema_hash": hashlib.sha256(
                    json.dumps([(c[0], c[1]) for c in schema]).encode()
                ).hexdigest(),
                "columns": [{"name": c[0], "type": c[1]} for c in schema],
            }
        con.execute("DETACH rel")
        # each municipality's own feedback, in its own folder (never a shared page)
        write_feedback(con, tmp / "kommuner")
    finally:
        con.close()
    docs = home.tmp / "dbt_docs" / "static_index.html"
    if docs.exists():
        (tmp / "docs").mkdir()
        shutil.copyfile(docs, tmp / "docs" / "index.html")
        manifest["docs"] = "docs/index.html"
    (tmp / "warehouse.duckdb").chmod(0o444)
    (tmp / "_manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.rename(final)
    switch_current(home, final)
    return final


def _copy_comments(con, table: str) -> None:
    """The Danish table and column descriptions (dbt persist_docs) follow the table into the release."""
    [(comment,)] = con.execute(
        "SELECT comment FROM duckdb_tables() WHERE database_name = 'wh' AND schema_name = 'marts' AND table_name = ?",
        [table],
    ).fetchall() or [(None,)]
    if comment:
        con.execute(f"COMMENT ON TABLE rel.main.{table} IS {_lit(comment)}")
    for col, text in con.execute(
        "SELECT column_name, comment FROM duckdb_columns() WHERE database_name = 'wh' AND schema_name = 'marts' "
        "AND table_name = ? AND comment IS NOT NULL",
        [table],
    ).fetchall():
        con.execute(f'COMMENT ON COLUMN rel.main.{table}."{col}" IS {_lit(text)}')
    con.execute(f"COMMENT ON COLUMN rel.main.{table}.release_id IS 'Udgivelsen, rækken kom fra.'")


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def switch_current(home: Home, release: Path) -> None:
    """Point `current` at `release` atomically (a new symlink renamed over the old one)."""
    link_tmp = home.root / f".current.{os.getpid()}"
    if link_tmp.is_symlink() or link_tmp.exists():
        link_tmp.unlink()
    os.symlink(os.path.relpath(release, home.root), link_tmp)
    os.replace(link_tmp, home.current)
