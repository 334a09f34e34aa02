"""Publishing a release: `releases/<release_id>/` holds
  exports/<table>.parquet        the national (municipality-level) tables, one file each, and the method's
                                 reference tables (parametre, enhedsomregning, forsyningsarter)
  kommuner/<kode>/               that municipality's building-level tables and its feedback
  offentlig/                     large groups' n, median and quartiles only (seed parametre), for open publication
  warehouse.duckdb               every published table with Danish comments, for SQL (DuckDB 1.0+ can open it)
  docs/index.html, _manifest.json
then `current` is switched atomically. A release is written into a temporary folder and renamed into place,
so a reader never sees half of one; it is never changed afterwards."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import __version__
from pipeline.contract.datasets import CONTRACT_VERSION
from pipeline.contract.parameters import PUBLIC_MIN_KOMMUNER, min_kommuner
from pipeline.faults import fault_point
from pipeline.feedback import write_feedback
from pipeline.report import write_report
from pipeline.settings import SEEDS_DIR, TIME_ZONE, Home, connect
from pipeline.timing import stage
from pipeline.validation.core import q

# Who gets what (ARCHITECTURE.md, principle 9). Participating municipalities see each other's
# municipality-level figures by name: exports/. Building-level tables go to each municipality's own folder:
# kommuner/<kode>/. The public gets large groups' n, median and quartiles only: offentlig/. The release's
# warehouse.duckdb holds every table (for KL's analysts and the operating team).
NATIONAL_TABLES: tuple[str, ...] = (
    "dim_kommune",
    "dim_kommune_aar",
    "dim_noegletal",
    "mart_noegletal_kommune",
    "mart_benchmark",
    "mart_kommune_sammenligning",
    "mart_indberetning_status",
)
BUILDING_TABLES: tuple[str, ...] = ("dim_bygning", "fct_forbrug_maaned", "mart_noegletal_bygning")
PUBLISHED_TABLES: tuple[str, ...] = NATIONAL_TABLES + BUILDING_TABLES
# The method's reference tables (seeds, warehouse schema `ref`), published beside the national tables: the
# rules' thresholds, and the unit conversions with their basis and base units, that this release's figures
# rest on. The report's texts and methods page read them from the release, like every number it shows.
METHOD_TABLES: tuple[str, ...] = ("parametre", "enhedsomregning", "forsyningsarter")
# Open publication (KEY_FIGURES.md, Benchmarks): only groups of at least `offentlig_min_kommuner`
# municipalities (seed parametre), and only n, median and the quartiles. No mean, min or max: min and max are
# one municipality's value, in a small group mean + median + quartiles give every value away, and differences
# of means across overlapping groups (alle, region, size band) give single values away
# (tests/test_public_tier.py attacks both).
PUBLIC_BENCHMARK_COLUMNS: tuple[str, ...] = (
    *("aar", "sektor", "noegletal", "sammenligningsgruppe", "n_kommuner", "median", "p25", "p75"),
    *("release_id", "kkm2_version", "modelsaet"),
)
PUBLIC_TABLES: dict[str, str] = {
    "benchmark": f"SELECT {', '.join(PUBLIC_BENCHMARK_COLUMNS)} FROM rel.main.mart_benchmark "
    f"WHERE NOT undertrykt AND n_kommuner >= {min_kommuner(PUBLIC_MIN_KOMMUNER)} "
    "ORDER BY aar, sektor, noegletal, sammenligningsgruppe",
    "noegletal": "SELECT * FROM rel.main.dim_noegletal",
}
# DuckDB 2.x files cannot be opened by 1.x clients (DBeaver, ODBC, Power BI) unless written in an
# older storage version. v1.0.0 is read by DuckDB 1.0 and newer.
RELEASE_STORAGE_VERSION = "v1.0.0"
ROW_GROUP_ROWS = 100_000
METADATA_COLUMNS = {
    "release_id": "Udgivelsen, rækken kom fra.",
    "kkm2_version": "Versionen af kkm2-koden, der beregnede rækken.",
    "modelsaet": "Id for de beregningsmodeller (seeds med model_version), rækken bygger på; "
    "se _manifest.json → modelsaet.",
}


def new_release_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return now.strftime("%Y%m%dT%H%M%S") + f"{now.microsecond // 1000:03d}Z"


def model_set() -> dict:
    """The model versions every figure of this code rests on: each seed's distinct model_version values,
    and a short id over them that is stamped on every published row."""
    models = {}
    for path in sorted(SEEDS_DIR.glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as f:
            versions = sorted({r["model_version"] for r in csv.DictReader(f) if r.get("model_version")})
        if versions:
            models[path.stem] = versions
    ident = "m-" + hashlib.sha256(json.dumps(models, sort_keys=True).encode()).hexdigest()[:12]
    return {"id": ident, "modeller": models}


def release_select(con, table: str, release_id: str, models_id: str, schema: str = "marts") -> str:
    """The published form of a mart (or a method table from `ref`): BI-friendly types (timestamps as Danish
    local time without zone) and the release metadata on every row."""
    cols = []
    for name, dtype in con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = 'wh' "
        "AND schema_name = ? AND table_name = ? ORDER BY column_index",
        [schema, table],
    ).fetchall():
        if dtype == "TIMESTAMP WITH TIME ZONE":
            cols.append(f'timezone(\'{TIME_ZONE}\', "{name}") AS "{name}"')
        else:
            cols.append(f'"{name}"')
    return (
        f"SELECT {', '.join(cols)}, '{release_id}' AS release_id, '{__version__}' AS kkm2_version, "
        f"'{models_id}' AS modelsaet FROM wh.{schema}.{table}"
    )


def write_parquet(
    con, sql: str, out: Path, descriptions: dict[str, str], table_doc: str | None, params: list | None = None
) -> int:
    """Stream a query into one Parquet file: zstd, row groups of ~100k rows, each column's Danish description
    in the field metadata (Power BI, Tableau, pyarrow and polars show or keep it). Bounded memory."""
    reader = con.sql(sql, params=params).to_arrow_reader(ROW_GROUP_ROWS)
    fields = [
        f.with_metadata({"description": descriptions[f.name]}) if descriptions.get(f.name) else f
        for f in reader.schema
    ]
    meta = {"description": table_doc} if table_doc else {}
    schema = pa.schema(fields, metadata=meta)
    rows, pending, pending_rows = 0, [], 0
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        for batch in reader:
            pending.append(batch)
            pending_rows += batch.num_rows
            if pending_rows >= ROW_GROUP_ROWS:
                writer.write_table(pa.Table.from_batches(pending).cast(schema), row_group_size=ROW_GROUP_ROWS)
                rows += pending_rows
                pending, pending_rows = [], 0
        if pending or rows == 0:
            writer.write_table(
                pa.Table.from_batches(pending, schema=reader.schema).cast(schema),
                row_group_size=ROW_GROUP_ROWS,
            )
            rows += pending_rows
    return rows


@dataclass
class StagedRelease:
    """A release written into its temporary folder, not yet switched to. `failed` holds the municipalities
    (kommunekode -> Danish reason) whose own part could not be written; their folders hold a plain page that
    says so, and the caller holds their versions back and stages again (pipeline/defs/publish_assets.py)."""

    home: Home
    release_id: str
    tmp: Path
    manifest: dict
    failed: dict[str, str] = field(default_factory=dict)


def publish_release(home: Home, release_id: str | None = None) -> Path:
    """Stage a release and switch `current` to it."""
    return finish_release(stage_release(home, release_id))


def stage_release(home: Home, release_id: str | None = None) -> StagedRelease:
    release_id = release_id or new_release_id()
    tmp = home.releases / f".{release_id}.tmp"
    failed: dict[str, str] = {}
    shutil.rmtree(tmp, ignore_errors=True)
    for folder in ("exports", "kommuner", "offentlig"):
        (tmp / folder).mkdir(parents=True)
    models = model_set()
    manifest = {
        "release_id": release_id,
        "code_version": __version__,
        "contract_version": CONTRACT_VERSION,
        "build_time": datetime.now(UTC).isoformat(),
        "storage_version": RELEASE_STORAGE_VERSION,
        "modelsaet": models,
        "tables": {},
        "kommuner": {},
        "offentlig": {},
    }
    con = connect(tmp_dir=home.tmp / "duckdb")
    try:
        con.execute(f"ATTACH '{home.warehouse}' AS wh (READ_ONLY)")
        con.execute(
            f"ATTACH '{tmp / 'warehouse.duckdb'}' AS rel (STORAGE_VERSION '{RELEASE_STORAGE_VERSION}')"
        )
        docs = {}
        tables = [(t, "marts") for t in PUBLISHED_TABLES] + [(t, "ref") for t in METHOD_TABLES]
        for table, schema in tables:
            con.execute(
                f"CREATE TABLE rel.main.{table} AS "
                f"{release_select(con, table, release_id, models['id'], schema)}"
            )
            docs[table] = _copy_comments(con, table, schema)
            schema = con.execute(f"DESCRIBE rel.main.{table}").fetchall()
            entry = {
                "description": docs[table][0],
                "rows": con.execute(f"SELECT count(*) FROM rel.main.{table}").fetchall()[0][0],
                "schema_hash": hashlib.sha256(
                    json.dumps([(c[0], c[1]) for c in schema]).encode()
                ).hexdigest(),
                "columns": [
                    {"name": c[0], "type": c[1], "description": docs[table][1].get(c[0])} for c in schema
                ],
            }
            if table in NATIONAL_TABLES or table in METHOD_TABLES:
                out = tmp / "exports" / f"{table}.parquet"
                write_parquet(con, f"SELECT * FROM rel.main.{table}", out, docs[table][1], docs[table][0])
                entry["file"] = out.relative_to(tmp).as_posix()
            else:
                entry["file"] = None  # per municipality: kommuner/<kode>/<table>.parquet
            manifest["tables"][table] = entry
        kommuner = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT kommunekode FROM rel.main.dim_bygning ORDER BY 1"
            ).fetchall()
        ]
        for k in kommuner:  # one municipality's failure never stops the others'
            folder = tmp / "kommuner" / k
            folder.mkdir(parents=True, exist_ok=True)
            manifest["kommuner"][k] = {}
            try:
                fault_point("udgivelse", k)
                for table in BUILDING_TABLES:
                    out = folder / f"{table}.parquet"
                    n = write_parquet(
                        con,
                        f"SELECT * FROM rel.main.{table} WHERE kommunekode = ?",
                        out,
                        docs[table][1],
                        docs[table][0],
                        [k],
                    )
                    manifest["kommuner"][k][table] = {"file": out.relative_to(tmp).as_posix(), "rows": n}
            except Exception as e:
                failed[k] = (
                    f"Kommunens bygningstabeller kunne ikke skrives (intern fejl: {type(e).__name__})."
                )
                for table in BUILDING_TABLES:
                    (folder / f"{table}.parquet").unlink(missing_ok=True)
                manifest["kommuner"][k] = {}
        for name, sql in PUBLIC_TABLES.items():
            out = tmp / "offentlig" / f"{name}.parquet"
            source = sql.split("FROM rel.main.")[1].split()[0]
            n = write_parquet(con, sql, out, docs[source][1], docs[source][0])
            manifest["offentlig"][name] = {"file": out.relative_to(tmp).as_posix(), "rows": n}
        con.execute("DETACH rel")
        # each municipality's own feedback, in its own folder (never a shared page)
        write_feedback(con, tmp / "kommuner", release_id, failed)
    finally:
        con.close()
    # the benchlearning report, from the release's own tables (the steward's map file when there is one)
    geo = home.reference / "kommunegraenser.geojson"
    with stage("report"):
        write_report(tmp, geojson=geo if geo.exists() else None, failures=failed)
    manifest["report"] = "report/index.html"
    quality = home.tmp / "quality"
    if (
        quality.exists()
    ):  # GX Data Docs of gates 2 and 3: quality/<kommunekode>/index.html, quality/nationalt/
        shutil.copytree(quality, tmp / "quality", symlinks=True)
        manifest["quality"] = sorted(
            p.name for p in (tmp / "quality").iterdir() if p.is_dir() and p.name != "static"
        )
    docs_html = home.tmp / "dbt_docs" / "static_index.html"
    if docs_html.exists():
        (tmp / "docs").mkdir()
        shutil.copyfile(docs_html, tmp / "docs" / "index.html")
        manifest["docs"] = "docs/index.html"
    return StagedRelease(home, release_id, tmp, manifest, failed)


def finish_release(staged: StagedRelease) -> Path:
    """Write the manifest, move the staged release into place and switch `current` to it."""
    tmp, manifest = staged.tmp, staged.manifest
    for k, reason in staged.failed.items():
        manifest["kommuner"].setdefault(k, {})["fejl"] = reason
    (tmp / "warehouse.duckdb").chmod(0o444)
    (tmp / "_manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    final = staged.home.releases / staged.release_id
    tmp.rename(final)
    switch_current(staged.home, final)
    return final


def discard_release(staged: StagedRelease) -> None:
    shutil.rmtree(staged.tmp, ignore_errors=True)


def _copy_comments(con, table: str, schema: str = "marts") -> tuple[str | None, dict[str, str]]:
    """The Danish table and column descriptions (dbt persist_docs) follow the table into the release.
    Returns them (table description, {column: description}) for the Parquet metadata."""
    [(comment,)] = con.execute(
        "SELECT comment FROM duckdb_tables() WHERE database_name = 'wh' AND schema_name = ? AND table_name = ?",
        [schema, table],
    ).fetchall() or [(None,)]
    if comment:
        con.execute(f"COMMENT ON TABLE rel.main.{table} IS {q(comment)}")
    columns = dict(
        con.execute(
            "SELECT column_name, comment FROM duckdb_columns() WHERE database_name = 'wh' AND schema_name = ? "
            "AND table_name = ? AND comment IS NOT NULL",
            [schema, table],
        ).fetchall()
    )
    columns.update(METADATA_COLUMNS)
    for col, text in columns.items():
        con.execute(f'COMMENT ON COLUMN rel.main.{table}."{col}" IS {q(text)}')
    return comment, columns


def switch_current(home: Home, release: Path) -> None:
    """Point `current` at `release` atomically (a new symlink renamed over the old one)."""
    link_tmp = home.root / f".current.{os.getpid()}"
    if link_tmp.is_symlink() or link_tmp.exists():
        link_tmp.unlink()
    os.symlink(os.path.relpath(release, home.root), link_tmp)
    os.replace(link_tmp, home.current)
