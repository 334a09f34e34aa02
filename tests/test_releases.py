"""Releases for analysts and BI, on the session's demo release: the Parquet contract read by four readers,
the manifest, who gets which files, the DuckDB copy opened by the oldest supported client, and `kkm2 sql`,
`kkm2 releases`, `kkm2 release freeze`."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest

from pipeline.cli import main
from pipeline.publish import BUILDING_TABLES, NATIONAL_TABLES, PUBLISHED_TABLES
from pipeline.settings import REPO_ROOT

OLD_CLIENT = REPO_ROOT / ".venv" / "duckdb-1.0"


def parquet_files(release: Path) -> list[Path]:
    return sorted(release.rglob("*.parquet"))


def test_every_parquet_file_reads_the_same_in_duckdb_pyarrow_pandas_and_polars(demo_home):
    home, _ = demo_home
    release = home.current.resolve()
    files = parquet_files(release)
    assert len(files) >= len(NATIONAL_TABLES) + 3 * len(BUILDING_TABLES) + 2
    con = duckdb.connect()
    for f in files:
        n_duck = con.execute(f"SELECT count(*) FROM read_parquet('{f}')").fetchall()[0][0]
        table = pq.read_table(f)
        df = pd.read_parquet(f)
        pf = pl.read_parquet(f)
        assert n_duck == table.num_rows == len(df) == pf.height, f
        pfile = pq.ParquetFile(f)
        assert pfile.metadata.row_group(0).column(0).compression == "ZSTD", f
        assert all(
            pfile.metadata.row_group(i).num_rows <= 100_000 for i in range(pfile.metadata.num_row_groups)
        )
        schema = table.schema
        missing = [fld.name for fld in schema if not (fld.metadata or {}).get(b"description")]
        assert not missing, (f, missing)  # every column carries its Danish description
        for fld in schema:
            t = str(fld.type)
            assert not (t.startswith("timestamp") and "tz=" in t), (f, fld)  # no time zone for BI tools
            assert t in {"string", "int32", "int64", "double", "bool", "date32[day]", "timestamp[us]"}, (
                f,
                fld,
            )
        if "kommunekode" in schema.names:
            codes = table.column("kommunekode").to_pylist()
            assert str(schema.field("kommunekode").type) == "string"
            assert pf.schema["kommunekode"] == pl.String and df["kommunekode"].map(type).eq(str).all()
            assert all(len(c) == 4 and c.isdigit() for c in codes), f
    # a code below 1000 keeps its leading zero in every reader
    dim = release / "exports" / "dim_kommune.parquet"
    assert "0101" in pl.read_parquet(dim)["kommunekode"].to_list()
    assert "0101" in pd.read_parquet(dim)["kommunekode"].tolist()
    assert ("0101",) in con.execute(f"SELECT kommunekode FROM read_parquet('{dim}')").fetchall()


def test_manifest_matches_the_files(demo_home):
    home, _ = demo_home
    release = home.current.resolve()
    m = json.loads((release / "_manifest.json").read_text())
    assert m["release_id"] == release.name
    assert m["code_version"] and m["contract_version"] and m["build_time"] and m["modelsaet"]["id"]
    assert "dim_noegletal" in m["modelsaet"]["modeller"]
    listed = {t["file"] for t in m["tables"].values() if t["file"]}
    listed |= {e["file"] for k in m["kommuner"].values() for e in k.values()}
    listed |= {e["file"] for e in m["offentlig"].values()}
    assert listed == {f.relative_to(release).as_posix() for f in parquet_files(release)}
    con = duckdb.connect(str(release / "warehouse.duckdb"), read_only=True)
    for t in PUBLISHED_TABLES:
        entry = m["tables"][t]
        schema = con.execute(f"DESCRIBE {t}").fetchall()
        assert (
            entry["schema_hash"]
            == hashlib.sha256(json.dumps([(c[0], c[1]) for c in schema]).encode()).hexdigest()
        )
        assert entry["rows"] == con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
        if entry["file"]:
            assert pq.ParquetFile(release / entry["file"]).metadata.num_rows == entry["rows"]
        else:  # building-level: the municipalities' files add up to the table
            assert sum(k[t]["rows"] for k in m["kommuner"].values()) == entry["rows"]
        # release id, code version and model set on every row
        meta = con.execute(f"SELECT DISTINCT release_id, kkm2_version, modelsaet FROM {t}").fetchall()
        assert meta in ([(release.name, m["code_version"], m["modelsaet"]["id"])], []), t


def test_a_municipality_folder_holds_its_own_buildings_only(demo_home):
    home, _ = demo_home
    release = home.current.resolve()
    assert not any((release / "exports" / f"{t}.parquet").exists() for t in BUILDING_TABLES)
    folders = sorted(p for p in (release / "kommuner").iterdir() if p.is_dir())
    assert len(folders) == 3
    for folder in folders:
        for t in BUILDING_TABLES:
            codes = set(pq.read_table(folder / f"{t}.parquet").column("kommunekode").to_pylist())
            assert codes == {folder.name}, (folder, t)
        assert list(folder.glob("tilbagemelding_*.html"))  # and its feedback


def test_the_public_folder_holds_only_large_groups_median_and_quartiles(demo_home):
    from pipeline.contract.parameters import PUBLIC_MIN_KOMMUNER, min_kommuner
    from pipeline.publish import PUBLIC_BENCHMARK_COLUMNS

    home, _ = demo_home
    public = home.current / "offentlig"
    assert sorted(p.name for p in public.iterdir()) == ["benchmark.parquet", "noegletal.parquet"]
    b = pq.read_table(public / "benchmark.parquet")
    assert b.schema.names == list(PUBLIC_BENCHMARK_COLUMNS)  # no mean, min or max, no municipality column
    assert all(n >= min_kommuner(PUBLIC_MIN_KOMMUNER) for n in b.column("n_kommuner").to_pylist())
    # the participants' table has the demo's groups of 3 municipalities; the public file has none of them
    participants = pq.read_table(home.current / "exports" / "mart_benchmark.parquet").to_pylist()
    small = [
        r for r in participants if not r["undertrykt"] and r["n_kommuner"] < min_kommuner(PUBLIC_MIN_KOMMUNER)
    ]
    assert small and b.num_rows == 0


def test_the_release_opens_in_the_oldest_supported_duckdb_client(demo_home):
    home, _ = demo_home
    if not (OLD_CLIENT / "duckdb").exists():
        pytest.fail(f"{OLD_CLIENT} missing: `make install` installs the old client for this test")
    code = (
        "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); "
        "print(duckdb.__version__); "
        "print(c.execute('SELECT count(*) FROM mart_noegletal_bygning').fetchall()[0][0]); "
        "print(c.execute(\"SELECT comment FROM duckdb_columns() WHERE table_name = 'dim_kommune' "
        "AND column_name = 'kommunekode'\").fetchall()[0][0])"
    )
    env = {**os.environ, "PYTHONPATH": str(OLD_CLIENT)}
    r = subprocess.run(
        [sys.executable, "-c", code, str(home.current / "warehouse.duckdb")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.returncode == 0, r.stderr
    version, rows, comment = r.stdout.splitlines()
    assert version == "1.0.0"
    assert int(rows) > 0 and "Kommunekode" in comment


def test_kkm2_sql_answers_from_the_current_release_read_only(demo_home, capsys):
    home, _ = demo_home
    q = "SELECT kommunekode, count(*) AS n FROM mart_noegletal_bygning WHERE aar = 2024 GROUP BY 1 ORDER BY 1"
    assert main(["sql", "--home", str(home.root), "--csv", q]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "kommunekode,n" and len(lines) == 4
    expected = duckdb.connect(str(home.current / "warehouse.duckdb"), read_only=True).execute(q).fetchall()
    assert [tuple(ln.split(",")) for ln in lines[1:]] == [(k, str(n)) for k, n in expected]
    assert main(["sql", "--home", str(home.root), q]) == 0
    assert "kommunekode" in capsys.readouterr().out
    assert main(["sql", "--home", str(home.root), "DELETE FROM dim_kommune"]) == 1
    assert "read-only" in capsys.readouterr().err
    assert main(["sql", "--home", str(home.root), f"COPY dim_kommune TO '{home.tmp / 'x.csv'}'"]) == 1
    assert not (home.tmp / "x.csv").exists()


def test_releases_are_listed_and_one_can_be_frozen_as_official(demo_home, capsys):
    home, _ = demo_home
    rid = home.current.resolve().name
    assert main(["releases", "--home", str(home.root)]) == 0
    out = capsys.readouterr().out
    assert f"* {rid}" in out
    assert main(["release", "freeze", rid, "--name", "2024", "--home", str(home.root)]) == 0
    capsys.readouterr()
    assert main(["releases", "--home", str(home.root)]) == 0
    assert any(rid in ln and ln.rstrip().endswith("2024") for ln in capsys.readouterr().out.splitlines())
    # the official name reads like a release id
    assert main(["sql", "--home", str(home.root), "--release", "2024", "--csv", "SELECT 1 AS x"]) == 0
    assert capsys.readouterr().out.splitlines() == ["x", "1"]
    # a name is given once
    assert main(["release", "freeze", "nope", "--name", "2024", "--home", str(home.root)]) == 1
    assert "findes ikke" in capsys.readouterr().err


def test_the_readme_sql_answers_run_on_a_release(demo_home):
    """The three questions in the README are real SQL on the published tables."""
    home, _ = demo_home
    import re

    blocks = re.findall(r"```sql\n(.*?)```", (REPO_ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 3
    con = duckdb.connect(str(home.current / "warehouse.duckdb"), read_only=True)
    for sql in blocks:
        rows = con.execute(sql).fetchall()
        assert rows, sql
