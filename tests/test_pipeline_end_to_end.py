"""The whole pipeline on demo data: Dagster in-process, dbt, GX, a release. Built once per session."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import query

from pipeline.contract.codes import seed_rows
from pipeline.contract.datasets import DATASETS
from pipeline.contract.parameters import DAEKNING_MIN_PCT, parameter
from pipeline.generate.dbt_marts import building_figures
from pipeline.publish import NATIONAL_TABLES, PUBLISHED_TABLES
from pipeline.run import BUILD_STAMP, run
from pipeline.settings import REPO_ROOT, connect
from pipeline.status import status_dir


def mart_fingerprints(home) -> dict[str, tuple]:
    con = connect(home.warehouse, read_only=True)
    try:
        out = {}
        for t in PUBLISHED_TABLES:
            cols = [r[0] for r in con.execute(f"DESCRIBE marts.{t}").fetchall()]
            out[t] = con.execute(f"SELECT count(*), sum(hash({', '.join(cols)})) FROM marts.{t}").fetchall()[
                0
            ]
        return out
    finally:
        con.close()


def test_received_equals_accepted_plus_rejected_plus_skipped(demo_home):
    home, _ = demo_home
    rows = query(
        home.warehouse,
        "SELECT dataset, raekker_modtaget, raekker_accepteret, raekker_afvist, "
        "raekker_sprunget_over FROM audit.submission_datasets",
    )
    assert len(rows) == 3 * 2 * len(DATASETS)
    for ds, rec, acc, rej, skip in rows:
        assert rec == acc + rej + skip, ds
    raw = query(home.warehouse, "SELECT count(*) FROM raw.forbrug")[0][0]
    assert raw == sum(r[2] for r in rows if r[0] == "forbrug")


def test_the_broken_demo_rows_are_rejected_with_their_reasons(demo_home):
    home, _ = demo_home
    rows = query(
        home.warehouse,
        "SELECT kilde_fil, raekke, aarsager FROM audit.rejected_rows WHERE dataset = 'forbrug'",
    )
    assert len(rows) == 6  # one per submission
    for fil, raekke, aarsag in rows:
        assert fil == "forbrug_el.csv" and raekke > 2
        assert "Ugyldig værdi" in aarsag and "-13-01" in aarsag
    # the deliberate errors of the other datasets, in every submission
    per_dataset = dict(
        query(
            home.warehouse,
            "SELECT dataset, count(DISTINCT (kommunekode, aar)) FROM audit.rejected_rows GROUP BY 1",
        )
    )
    for ds in ("vedligehold", "indeklima_maalinger", "anvendelse"):
        assert per_dataset.get(ds) == 6, ds


def test_original_files_are_archived_byte_for_byte(demo_home):
    home, _ = demo_home
    for (filer,) in query(home.warehouse, "SELECT filer FROM audit.submissions"):
        for entry in json.loads(filer):
            archived = home.root / entry["arkiv"]
            assert archived.exists() and entry["sha256"] in archived.name


def test_release_has_parquet_per_table_with_codes_as_strings(demo_home):
    home, report = demo_home
    assert home.current.is_symlink() and report.release == home.current.resolve()
    manifest = json.loads((home.current / "_manifest.json").read_text())
    for t in NATIONAL_TABLES:
        f = pq.ParquetFile(home.current / "exports" / f"{t}.parquet")
        assert f.metadata.num_rows == manifest["tables"][t]["rows"] > 0
        if "kommunekode" in f.schema_arrow.names:
            assert str(f.schema_arrow.field("kommunekode").type) == "string"
        assert f.metadata.row_group(0).column(0).compression == "ZSTD"
        assert f.schema_arrow.names.count("release_id") == 1  # every table says which release it is from
        assert str(f.schema_arrow.field("release_id").type) == "string"
    kommuner = (
        pq.read_table(home.current / "exports" / "dim_kommune.parquet").column("kommunekode").to_pylist()
    )
    assert "0101" in kommuner and len(kommuner) == 98


def test_release_carries_danish_docs_and_static_dbt_docs(demo_home):
    home, _ = demo_home
    comments = dict(
        query(
            home.current / "warehouse.duckdb",
            """
        SELECT column_name, comment FROM duckdb_columns() WHERE table_name = 'mart_kommune_sammenligning'""",
        )
    )
    assert comments["percentil"].startswith("0 = dårligst, 100 = bedst")
    assert all(comments.values()), comments  # every column described
    html = (home.current / "docs" / "index.html").read_text(encoding="utf-8")
    # one self-contained page: the manifest and catalogue are embedded (JSON-escaped), nothing is fetched
    assert "mart_noegletal_bygning" in html and "indgaar_i_benchmark" in html
    assert "\\u00c9n r\\u00e6kke pr. kommunekode" in html or "Én række pr. kommunekode" in html


def test_every_column_of_every_model_is_described(demo_home):
    """Docs (generated) against the built warehouse: same columns, each with a description."""
    home, _ = demo_home
    from pipeline.defs.dbt_assets import read_manifest

    manifest = read_manifest()
    documented = {
        n["name"]: {c: d["description"] for c, d in n["columns"].items()}
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model"
    }
    built = query(
        home.warehouse,
        """
        SELECT table_name, list(column_name) FROM duckdb_columns()
        WHERE schema_name IN ('staging', 'intermediate', 'marts') AND table_name NOT LIKE '%__dbt_tmp'
        GROUP BY 1""",
    )
    assert len(built) >= 30
    for table, cols in built:
        if table == "dim_noegletal":  # a seed, described in seeds/_seeds.yml
            continue
        assert set(documented[table]) == set(cols), table
        assert all(documented[table].values()), table


def test_the_heavy_dbt_tests_pass_on_the_demo_warehouse(demo_home, tmp_path):
    """The grain tests of the models of meter readings (tag `heavy`) are left out of builds on new data and run in
    the nightly build: here they run on the demo warehouse, and pass."""
    home, _ = demo_home
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            "test",
            "--select",
            "tag:heavy",
            "--project-dir",
            str(REPO_ROOT),
            "--profiles-dir",
            str(REPO_ROOT / "dbt_project"),
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
        ],
        env={**os.environ, "KKM2_HOME": str(home.root)},
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    runs = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    assert len(runs) == 4 and all(r["status"] == "pass" for r in runs)
    nodes = json.loads((tmp_path / "target" / "manifest.json").read_text())["nodes"]
    tested = {nodes[r["unique_id"]]["attached_node"].split(".")[-1] for r in runs}
    assert tested == {
        "stg_raw__forbrug",
        "stg_raw__indeklima_maalinger",
        "int_forbrug_perioder",
        "int_indeklima_timer",
    }


def test_release_warehouse_is_read_only_and_readable(demo_home):
    home, _ = demo_home
    n = query(home.current / "warehouse.duckdb", "SELECT count(*) FROM mart_noegletal_bygning")[0][0]
    assert n == 3 * 2 * 8
    with pytest.raises(Exception):  # noqa: B017 - any write must fail
        con = connect(home.current / "warehouse.duckdb", read_only=True)
        con.execute("CREATE TABLE x (a INT)")


def test_el_figure_recomputed_from_the_submitted_files(demo_home):
    """An independent recomputation, from the CSV files, of one building's el_kwh_pr_m2."""
    home, _ = demo_home
    [(k, folder_aar)] = query(
        home.warehouse,
        "SELECT kommunekode, aar FROM audit.submissions "
        "WHERE kommunekode = (SELECT min(kommunekode) FROM audit.submissions) "
        "AND aar = 2024",
    )
    folder = next(p for p in home.landing.iterdir() if p.name.zfill(4) == k) / str(folder_aar)
    enc = "cp1252" if b"\r\n" in (folder / "bygninger.csv").read_bytes() else "utf-8"
    sep = ";" if enc == "cp1252" else ","

    def num(s):
        return float(s.replace(".", "").replace(",", ".")) if sep == ";" else float(s)

    with open(folder / "bygninger.csv", encoding=enc) as f:
        rows = list(csv.reader(f, delimiter=sep))
    bid, area = rows[2][0], num(rows[2][4])  # the second building: monthly el
    with open(folder / "maalere.csv", encoding=enc) as f:
        meter = next(r[0] for r in csv.reader(f, delimiter=sep) if r[1] == bid and r[2] == "el")
    with open(folder / "forbrug_el.csv", encoding=enc) as f:
        total = sum(num(r[3]) for r in csv.reader(f, delimiter=sep) if r[0] == meter and "-13-" not in r[1])
    [(got,)] = query(
        home.current / "warehouse.duckdb",
        "SELECT el_kwh_pr_m2 FROM mart_noegletal_bygning WHERE kommunekode = ? AND aar = 2024 "
        "AND bygning_id = ?",
        [k, bid],
    )
    assert got == pytest.approx(total / area, rel=1e-9)


def test_heat_with_missing_months_is_null_and_shared_meter_is_split(demo_home):
    home, _ = demo_home
    rows = query(
        home.current / "warehouse.duckdb",
        "SELECT bygning_id, varme_kwh_pr_m2, varme_daekning_pct FROM mart_noegletal_bygning "
        "WHERE aar = 2024 ORDER BY 1",
    )
    minimum = parameter(DAEKNING_MIN_PCT)  # 95 %
    low = [r for r in rows if r[2] is not None and r[2] < minimum]
    assert low and all(r[1] is None for r in low)  # below the minimum coverage: no figure
    assert all(r[1] is not None for r in rows if r[2] is not None and r[2] >= minimum)


def test_the_building_mart_has_every_catalogue_figure_as_a_column(demo_home):
    home, _ = demo_home
    cols = [r[0] for r in query(home.current / "warehouse.duckdb", "DESCRIBE mart_noegletal_bygning")]
    for f in building_figures():
        assert f["noegletal"] in cols
    n = query(home.current / "warehouse.duckdb", "SELECT count(*) FROM dim_noegletal")[0][0]
    assert n == len(seed_rows("dim_noegletal.csv"))


def test_another_order_of_loads_gives_identical_marts(demo_home, tmp_path_factory):
    from pipeline.demo_data import generate
    from pipeline.settings import Home

    home, _ = demo_home
    other = Home(tmp_path_factory.mktemp("reversed")).ensure()
    generate(
        other.landing, kommuner=3, aar=[2023, 2024], seed=7, bygninger_pr_kommune=8, reference=other.reference
    )
    assert run(other, reverse=True).success
    ours, theirs = mart_fingerprints(other), mart_fingerprints(home)
    for t in PUBLISHED_TABLES:
        if t != "mart_indberetning_status":  # carries the time each submission arrived
            assert ours[t] == theirs[t], t


def test_municipality_figures_and_a_median_recomputed_from_raw_rows(demo_home):
    """bda_m2, antal_bygninger, m2_pr_indbygger and samlet_udgift_pr_m2 per municipality, and the national
    median of samlet_udgift_pr_m2, straight from raw.* and reference.* in plain SQL."""
    home, _ = demo_home
    expected = dict(
        ((k, f), v)
        for k, f, v in query(
            home.warehouse,
            """
        WITH b AS (SELECT * FROM raw.bygninger WHERE (kommunekode, aar, version) IN
                   (SELECT (kommunekode, aar, version) FROM audit.active_submissions) AND aar = 2024),
             u AS (SELECT kommunekode, bygning_id, sum(beloeb_kr) AS kr FROM raw.udgifter
                   WHERE (kommunekode, aar, version) IN (SELECT (kommunekode, aar, version)
                   FROM audit.active_submissions) AND aar = 2024 GROUP BY ALL)
        SELECT kommunekode, 'bda_m2', sum(bruttodriftsareal_m2) FROM b GROUP BY 1
        UNION ALL SELECT kommunekode, 'antal_bygninger', count(*) FROM b GROUP BY 1
        UNION ALL SELECT b.kommunekode, 'm2_pr_indbygger', sum(b.bruttodriftsareal_m2) / any_value(p.indbyggere)
                  FROM b JOIN reference.befolkning p ON p.kommunekode = b.kommunekode AND p.aar = 2024 GROUP BY 1
        UNION ALL SELECT b.kommunekode, 'samlet_udgift_pr_m2', sum(u.kr) / sum(b.bruttodriftsareal_m2)
                  FROM b JOIN u USING (kommunekode, bygning_id) GROUP BY 1""",
        )
    )
    got = {
        (k, f): v
        for k, f, v in query(
            home.current / "warehouse.duckdb",
            """
        SELECT kommunekode, noegletal, vaerdi FROM mart_noegletal_kommune
        WHERE aar = 2024 AND sektor = 'alle'
          AND noegletal IN ('bda_m2', 'antal_bygninger', 'm2_pr_indbygger', 'samlet_udgift_pr_m2')""",
        )
    }
    assert len(expected) == 12 and set(got) == set(expected)
    for key, v in expected.items():
        assert got[key] == pytest.approx(v, rel=1e-9), key
    values = sorted(v for (k, f), v in expected.items() if f == "samlet_udgift_pr_m2")
    [(median, n, undertrykt)] = query(
        home.current / "warehouse.duckdb",
        """
        SELECT median, n_kommuner, undertrykt FROM mart_benchmark WHERE aar = 2024 AND sektor = 'alle'
        AND noegletal = 'samlet_udgift_pr_m2' AND sammenligningsgruppe = 'alle'""",
    )
    assert (n, undertrykt) == (3, False)
    assert median == pytest.approx(values[1], rel=1e-9)


def gate_validations(home) -> tuple[int, int]:
    """The last gate run's (validations GX ran, validations taken from the previous release)."""
    from dagster import AssetKey, DagsterInstance

    from pipeline.settings import activate

    activate(home)
    with DagsterInstance.get() as instance:
        event = instance.get_latest_materialization_event(AssetKey(["quality", "gates"]))
    meta = event.asset_materialization.metadata
    return meta["gx_valideringer"].value, meta["genbrugt_fra_forrige_udgivelse"].value


def ingest_runs(home) -> list[str]:
    """The partitions of the home's Dagster ingestion runs so far, newest first."""
    from dagster import DagsterInstance, RunsFilter

    from pipeline.settings import activate

    activate(home)
    with DagsterInstance.get() as instance:
        return [r.tags.get("dagster/partition") for r in instance.get_runs(RunsFilter(job_name="ingest"))]


def test_running_twice_on_the_same_landing_folder_changes_nothing(demo_home):
    home, _ = demo_home
    before = mart_fingerprints(home)
    versions_before = query(home.warehouse, "SELECT count(*) FROM audit.submissions")[0][0]
    runs_before = ingest_runs(home)
    report = run(home)
    assert report.success
    assert ingest_runs(home) == runs_before  # nothing changed: no ingestion run at all
    assert query(home.warehouse, "SELECT count(*) FROM audit.submissions")[0][0] == versions_before
    assert mart_fingerprints(home) == before


def test_a_changed_file_makes_a_new_version_and_only_it_is_active(demo_home, tmp_path):
    home, _ = demo_home
    before = mart_fingerprints(home)
    folder = sorted(p for p in home.landing.iterdir())[0] / "2024"
    bygninger = folder / "bygninger.csv"
    original = bygninger.read_bytes()
    k = folder.parent.name.zfill(4)
    others = "SELECT * EXCLUDE (release_id) FROM mart_noegletal_kommune WHERE kommunekode <> ? ORDER BY ALL"
    others_before = query(home.current / "warehouse.duckdb", others, [k])
    # A steady state first: a build on the same data (a no-op makes none, so the build stamp is removed). The
    # first build after the load cannot reuse gate 2's checks (the load's release had no previous release).
    (status_dir(home) / BUILD_STAMP).unlink(missing_ok=True)
    assert run(home).success
    try:
        bygninger.write_bytes(original.rstrip(b"\r\n").rsplit(b"\n", 1)[0] + b"\n")  # drop the last building
        runs_before = len(ingest_runs(home))
        assert run(home).success
        new_runs = ingest_runs(home)[: len(ingest_runs(home)) - runs_before]
        assert new_runs == [k]  # only this municipality was ingested
        # the gates validated this municipality (both years: its Data Docs are made anew) and the national
        # checks; the other two municipalities' validations had the same input as before and were reused
        fresh, reused = gate_validations(home)
        assert reused == 2 * 2 * 4 and fresh <= 2 * 4 + 1, (fresh, reused)
        assert {p.name for p in (home.current / "quality").iterdir() if p.is_dir()} >= {"0360", "0450", k}
        # another municipality's own figures do not change when this one resubmits
        assert query(home.current / "warehouse.duckdb", others, [k]) == others_before
        [(v,)] = query(
            home.warehouse,
            "SELECT version FROM audit.active_submissions WHERE kommunekode = ? AND aar = 2024",
            [k],
        )
        assert v == 2
        n = query(
            home.warehouse, "SELECT count(*) FROM marts.dim_bygning WHERE kommunekode = ? AND aar = 2024", [k]
        )
        assert n[0][0] == 7
        assert (
            query(
                home.warehouse,
                "SELECT count(*) FROM raw.bygninger WHERE kommunekode = ? AND aar = 2024 AND version = 1",
                [k],
            )[0][0]
            == 8
        )  # the earlier version stays queryable
        sha = hashlib.sha256(original).hexdigest()
        assert (home.archive / sha[:2] / f"{sha}.csv").read_bytes() == original  # and archived
    finally:
        bygninger.write_bytes(original)
        assert run(home).success  # back to the original bytes: a third version, same data as the first
    # the incremental models recomputed only that submission, and agree with the first build
    after = mart_fingerprints(home)
    for t in ("fct_forbrug_maaned", "mart_noegletal_bygning"):
        assert after[t] == before[t], t


def test_feedback_per_municipality_lists_exactly_the_findings_of_the_load(demo_home):
    import re

    import openpyxl

    home, _ = demo_home
    for k, aar, version in query(
        home.warehouse, "SELECT kommunekode, aar, max(version) FROM audit.submissions GROUP BY ALL"
    ):
        folder = home.current / "kommuner" / k
        page = (folder / f"tilbagemelding_{aar}.html").read_text(encoding="utf-8")
        n_findings = query(
            home.warehouse,
            "SELECT count(*) FROM audit.findings WHERE kommunekode = ? AND aar = ? AND version = ?",
            [k, aar, version],
        )[0][0]
        assert re.search(r'data-antal="(\d+)"', page).group(1) == str(n_findings)
        assert page.count("<tr class=") == n_findings
        rejected = query(
            home.warehouse,
            "SELECT kilde_fil, raekke FROM audit.rejected_rows WHERE kommunekode = ? "
            "AND aar = ? AND version = ? ORDER BY ALL",
            [k, aar, version],
        )
        ws = openpyxl.load_workbook(folder / f"afviste_raekker_{aar}.xlsx").active
        head = [c.value for c in ws[1]]
        fil, raekke = head.index("Fil"), head.index("Række")
        rows = sorted((r[fil], r[raekke]) for r in ws.iter_rows(min_row=2, values_only=True))
        assert rows == sorted(rejected) and len(rows) > 0
    # only municipalities' own folders, no shared feedback page
    assert {p.name for p in (home.current / "kommuner").iterdir()} == {
        k for (k,) in query(home.warehouse, "SELECT DISTINCT kommunekode FROM audit.submissions")
    }


def test_formula_injection_is_neutralised(tmp_path):
    import openpyxl

    from pipeline.feedback import _xlsx

    _xlsx(
        tmp_path / "x.xlsx",
        [
            (
                "bygninger",
                "b.csv",
                2,
                '=HYPERLINK("x")',
                '{"navn": "=1+1", "adresse": "+45 12", "x": "@SUM(A1)", "y": "-3", "z": "ok", "w": "-1+1", '
                '"v": "\\tTAB", "u": "nul\\u0000her"}',
            )
        ],
    )
    ws = openpyxl.load_workbook(tmp_path / "x.xlsx").active
    cells = [c for c in ws[2]]
    assert all(c.data_type != "f" for c in cells)
    values = [c.value for c in cells]
    assert "'=1+1" in values and "'+45 12" in values and "'@SUM(A1)" in values and "'-1+1" in values
    assert "'\tTAB" in values and "nul\ufffdher" in values  # a NUL cannot be in XLSX: it is shown as �
    assert "-3" in values  # a plain number is no formula, and stays as it is
    assert values[0].startswith("'=") and "ok" in values  # the reason comes first


def test_the_rejected_rows_workbook_reads_in_danish_with_the_reason_first(tmp_path):
    import openpyxl

    from pipeline.feedback import MAX_WIDTH, MIN_WIDTH, REASON_WIDTH, _xlsx

    long_name = "x" * 300
    _xlsx(
        tmp_path / "x.xlsx",
        [
            (
                "bygninger",
                "bygninger.csv",
                7,
                "Værdien '-5' er ikke tilladt i bruttodriftsareal_m2 | Bygnings-id mangler",
                json.dumps({"bygning_id": None, "navn": long_name, "bruttodriftsareal_m2": "-5"}),
            ),
            ("vedligehold", "vedligehold.xlsx (ark vedligehold)", 3, "Karakter 7", '{"karakter": "7"}'),
        ],
    )
    ws = openpyxl.load_workbook(tmp_path / "x.xlsx").active
    head = [c.value for c in ws[1]]
    assert head == [
        "Begrundelse",
        "Datasæt",
        "Fil",
        "Række",
        "Bygnings-id",
        "Navn",
        "Bruttodriftsareal (m²)",
        "Karakter",
    ]
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:H3" and ws.dimensions == "A1:H3"
    first = [c.value for c in ws[2]]
    assert first[:4] == [
        "Værdien '-5' er ikke tilladt i bruttodriftsareal_m2\nBygnings-id mangler",
        "bygninger",
        "bygninger.csv",
        7,
    ]
    assert ws["A2"].alignment.wrap_text
    widths = {c.value: ws.column_dimensions[c.column_letter].width for c in ws[1]}
    assert widths["Begrundelse"] == len("Værdien '-5' er ikke tilladt i bruttodriftsareal_m2") + 2
    assert widths["Fil"] == len("vedligehold.xlsx (ark vedligehold)") + 2  # fits the longest value
    assert widths["Navn"] == MAX_WIDTH and widths["Række"] == MIN_WIDTH  # bounded
    assert widths["Bruttodriftsareal (m²)"] == len("Bruttodriftsareal (m²)") + 2  # fits the heading
    assert REASON_WIDTH[0] <= widths["Begrundelse"] <= REASON_WIDTH[1]
