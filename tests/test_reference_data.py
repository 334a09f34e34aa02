"""Reference data from the steward: FOLK1A as downloaded (names incl. old spellings), the simple form,
degree days, emission factors, participants; problems reported, never fatal."""

from __future__ import annotations

import pytest

from pipeline.reference import load_reference
from pipeline.settings import connect

FOLK1A = (
    "OMRÅDE;KØN;ALDER;TID;INDHOLD\n"
    "Hele landet;Køn i alt;Alder i alt;2024K1;5961249\n"
    "Region Hovedstaden;Køn i alt;Alder i alt;2024K1;1895259\n"
    "København;Køn i alt;Alder i alt;2024K1;660842\n"
    "København;Mænd;Alder i alt;2024K1;329000\n"
    "København;Køn i alt;Alder i alt;2024K2;662000\n"
    "Århus;Køn i alt;Alder i alt;2024K1;367095\n"
    "Brønderslev-Dronninglund;Køn i alt;Alder i alt;2023K1;36100\n"
    "Høje Taastrup;Køn i alt;Alder i alt;2024K1;56000\n"
    "Atlantis;Køn i alt;Alder i alt;2024K1;1\n"
)


def load(tmp_path, files: dict[str, bytes | str], warehouse: str = "w.duckdb"):
    ref = tmp_path / "reference"
    ref.mkdir()
    for name, content in files.items():
        (ref / name).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    con = connect(tmp_path / warehouse)
    report = load_reference(con, ref, tmp_path / "tmp")
    return con, report


def test_folk1a_as_downloaded_in_windows_1252(tmp_path):
    con, report = load(tmp_path, {"befolkning_folk1a.csv": FOLK1A.encode("cp1252")})
    rows = con.execute(
        "SELECT kommunekode, aar, indbyggere FROM reference.befolkning ORDER BY 1, 2"
    ).fetchall()
    assert rows == [
        ("0101", 2024, 660842),
        ("0169", 2024, 56000),
        ("0751", 2024, 367095),
        ("0810", 2023, 36100),
    ]
    assert report.problems == [
        "befolkning_folk1a.csv: området 'Atlantis' kendes ikke som kommune og er sprunget over."
    ]


def test_simple_population_form_and_degree_days_with_decimal_comma(tmp_path):
    con, report = load(
        tmp_path,
        {
            "befolkning.csv": "kommunekode;aar;indbyggere\n101;2024;660.842\n9999;2024;5\n",
            "graddage.csv": "maaned;graddage\n2024-01;512,3\n2024-02;455\n2024-13;1\n",
            "graddage_normalaar.csv": "graddage;kilde\n2.552;Teknologisk Institut 1991-2020\n",
            "emissionsfaktorer.csv": "forsyningsart;aar;g_co2e_pr_kwh;kilde\nEl;2024;118,5;Energinet\n"
            "fjernvarme;2024;65;Varedeklaration\n",
            "deltagere.csv": "kommunekode;aar\n0101;2024\n147;2024\n",
        },
    )
    assert con.execute("SELECT * FROM reference.befolkning").fetchall() == [
        ("0101", 2024, 660842, "befolkning.csv")
    ]
    assert con.execute(
        "SELECT strftime(maaned, '%Y-%m'), graddage FROM reference.graddage ORDER BY 1"
    ).fetchall() == [("2024-01", 512.3), ("2024-02", 455.0)]
    assert con.execute("SELECT graddage FROM reference.graddage_normalaar").fetchall() == [(2552.0,)]
    assert con.execute(
        "SELECT forsyningsart, g_co2e_pr_kwh FROM reference.emissionsfaktorer ORDER BY 1"
    ).fetchall() == [("el", 118.5), ("fjernvarme", 65.0)]
    assert con.execute("SELECT kommunekode FROM reference.deltagere ORDER BY 1").fetchall() == [
        ("0101",),
        ("0147",),
    ]
    assert len(report.problems) == 2  # the unknown municipality 9999 and month 13


def test_missing_and_broken_reference_data_never_stops(tmp_path):
    con, report = load(
        tmp_path,
        {
            "befolkning.csv": "noget;andet\n1;2\n",
            "graddage.csv": b"\x81\x8d\x00",
            "kommunegraenser.geojson": "{not json",
            "budget.csv": "a;b\n",
        },
    )
    for t in ("befolkning", "graddage", "emissionsfaktorer", "deltagere"):
        assert con.execute(f"SELECT count(*) FROM reference.{t}").fetchall() == [(0,)]
    assert not report.has_map
    assert len(report.problems) == 4


def test_the_real_geojson_is_accepted_as_the_map(tmp_path):
    from conftest import real_file

    geo = real_file("municipalities", "dk_municipalities_magnuslarsen.geojson").read_bytes()
    _, report = load(tmp_path, {"kommunegraenser.geojson": geo})
    assert report.has_map and report.problems == []


# The grain of each kind across ALL its files (pipeline.reference.GRAINS): for each kind a first file with the
# key and another key, and a second file of the same kind giving the key again, the same value written
# differently or a different value.
GRAIN_CASES = {
    "graddage": {
        "first": ("graddage.csv", "maaned;graddage\n2024-01;512,3\n2024-02;455\n"),
        "same": ("graddage_kopi.csv", "maaned;graddage\n2024-1;512.30\n"),
        "different": ("graddage_kopi.csv", "maaned;graddage\n2024-01;500\n"),
        "table": "SELECT strftime(maaned, '%Y-%m'), graddage, kilde FROM reference.graddage ORDER BY 1",
        "both": [("2024-01", 512.3, "graddage.csv"), ("2024-02", 455.0, "graddage.csv")],
        "key": "måned 2024-01",
        "column": "graddage",
        "values": "(512,3 og 500)",
        "null": "(varme_kwh_pr_m2_normaliseret) er tomt for alle bygninger i 2024",
    },
    "emissionsfaktorer": {
        "first": (
            "emissionsfaktorer.csv",
            "forsyningsart;aar;g_co2e_pr_kwh;kilde\nEl;2024;118,5;Energinet\nfjernvarme;2024;65;Værket\n",
        ),
        "same": ("emissionsfaktorer_el.csv", "forsyningsart;aar;g_co2e_pr_kwh;kilde\nel;2024;118.5;Andet\n"),
        "different": (
            "emissionsfaktorer_el.csv",
            "forsyningsart;aar;g_co2e_pr_kwh;kilde\nel;2024;121;Andet\n",
        ),
        "table": "SELECT forsyningsart, aar, g_co2e_pr_kwh, kilde FROM reference.emissionsfaktorer ORDER BY 1",
        "both": [("el", 2024, 118.5, "Energinet"), ("fjernvarme", 2024, 65.0, "Værket")],
        "key": "forsyningsart el, år 2024",
        "column": "g_co2e_pr_kwh",
        "values": "(118,5 og 121)",
        "null": "(co2e_kg_pr_m2) er tomt i 2024 for bygninger med el",
    },
    "befolkning": {  # FOLK1A as downloaded and the simple form are one kind
        "first": ("befolkning_folk1a.csv", FOLK1A),
        "same": ("befolkning_rettet.csv", "kommunekode;aar;indbyggere\n101;2024;660.842\n"),
        "different": ("befolkning_rettet.csv", "kommunekode;aar;indbyggere\n101;2024;661000\n"),
        "table": "SELECT kommunekode, aar, indbyggere, kilde FROM reference.befolkning WHERE aar = 2024 ORDER BY 1",
        "both": [
            ("0101", 2024, 660842, "befolkning_folk1a.csv"),
            ("0169", 2024, 56000, "befolkning_folk1a.csv"),
            ("0751", 2024, 367095, "befolkning_folk1a.csv"),
        ],
        "key": "kommune 0101, år 2024",
        "column": "indbyggere",
        "values": "(660842 og 661000)",
        "null": "(m2_pr_indbygger) er tomt for 0101 i 2024, og kommunens størrelsesgruppe mangler",
    },
}


def _problems_but_grain(report) -> list[str]:
    return [p for p in report.problems if "Atlantis" not in p]  # FOLK1A's deliberate unknown area


@pytest.mark.parametrize("kind", GRAIN_CASES)
def test_an_identical_duplicate_across_two_files_is_a_warning_and_counts_once(tmp_path, kind):
    case = GRAIN_CASES[kind]
    con, report = load(tmp_path, dict([case["first"], case["same"]]))
    assert con.execute(case["table"]).fetchall() == case["both"]  # as from the first file alone
    first, second = case["first"][0], case["same"][0]
    assert _problems_but_grain(report) == []
    assert len(report.warnings) == 1
    warning = report.warnings[0]
    assert warning.startswith(f"{second} række 2: {case['key']} står også i {first} række ")
    assert warning.endswith("– tælles én gang.")
    assert report.loaded[second] == 0
    assert [(report.loaded[first],)] == con.execute(f"SELECT count(*) FROM reference.{kind}").fetchall()
    assert con.execute("SELECT fil, raekker FROM reference.filer WHERE fil = ?", [second]).fetchall() == [
        (second, 0)
    ]


@pytest.mark.parametrize("kind", GRAIN_CASES)
def test_a_conflicting_duplicate_is_a_finding_and_the_key_is_not_used(tmp_path, kind):
    case = GRAIN_CASES[kind]
    con, report = load(tmp_path, dict([case["first"], case["different"]]))
    # the key is gone, as if missing (never one of the two values, never their sum); the other keys stay
    assert con.execute(case["table"]).fetchall() == case["both"][1:]
    assert report.warnings == []
    [finding] = _problems_but_grain(report)
    first, second = case["first"][0], case["different"][0]
    assert finding.startswith(f"{first} række ")
    assert (
        f" og {second} række 2, kolonne {case['column']}: {case['key']} er angivet med forskellige "
        in finding
    )
    assert f"værdier {case['values']} – " in finding
    assert "bruges ikke, så nøgletallet '" in finding and case["null"] in finding


def test_a_conflict_names_every_row_and_value_and_a_repeat_within_one_file_counts(tmp_path):
    con, report = load(
        tmp_path,
        {
            "graddage_a.csv": "maaned;graddage\n2024-01;512,3\n2024-02;455\n",
            "graddage_b.csv": "maaned;graddage\n2024-02;400\n2024-02;455\n2024-03;431\n2024-03;431\n",
        },
    )
    assert con.execute(
        "SELECT strftime(maaned, '%m'), graddage FROM reference.graddage ORDER BY 1"
    ).fetchall() == [
        ("01", 512.3),
        ("03", 431.0),
    ]
    assert report.problems == [
        "graddage_a.csv række 3, graddage_b.csv række 2 og graddage_b.csv række 3, kolonne graddage: måned "
        "2024-02 er angivet med forskellige værdier (455, 400 og 455) – måneden bruges ikke, så nøgletallet "
        "'Graddagekorrigeret varmeforbrug pr. m²' (varme_kwh_pr_m2_normaliseret) er tomt for alle bygninger "
        "i 2024 (årets graddage kræver alle 12 måneder)."
    ]
    assert report.warnings == [
        "graddage_b.csv række 5: måned 2024-03 står også i graddage_b.csv række 4 med samme graddage (431) "
        "– tælles én gang."
    ]


def test_the_figures_a_grain_names_are_in_the_catalogue():
    from pipeline.contract.codes import seed_rows
    from pipeline.reference import GRAINS

    catalogue = {r["noegletal"] for r in seed_rows("dim_noegletal.csv")}
    assert all(set(g.figures) <= catalogue for g in GRAINS.values())


def _dbt(tmp_path, *args: str):
    import os
    import subprocess
    import sys
    from pathlib import Path

    from pipeline.settings import REPO_ROOT

    return subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), *args]
        + ["--project-dir", str(REPO_ROOT), "--profiles-dir", str(REPO_ROOT / "dbt_project")]
        + ["--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        env={**os.environ, "KKM2_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )


def test_dbt_sees_one_row_per_key_and_its_source_tests_guard_the_grain(tmp_path):
    """The degree days of 2023 given twice (the same values) are counted once: the year's sum is that of the
    single file, so normalised heat is unchanged; 2024's March given with two values is not used, so 2024 has
    no degree days (normalised heat null). The same for a municipality's population. dbt's source tests
    (unique_key, generated from GRAINS) pass, and fail on a duplicate that bypasses the loader."""
    from pipeline.text import da_number

    months = [519.4, 470.1, 431, 301, 165, 55, 20, 25, 107, 245, 373, 461]
    single = "maaned;graddage\n" + "".join(
        f"{y}-{m:02d};{da_number(gd * f, 1)}\n"
        for y, f in ((2023, 0.9), (2024, 0.95))
        for m, gd in enumerate(months, 1)
    )
    copy = "maaned;graddage\n" + "".join(f"2023-{m};{round(gd * 0.9, 1)}\n" for m, gd in enumerate(months, 1))
    copy += "2024-03;999\n"
    con, report = load(
        tmp_path,
        {
            "graddage.csv": single,
            "graddage_kopi.csv": copy,
            "befolkning.csv": "kommunekode;aar;indbyggere\n0101;2024;660842\n0147;2024;104000\n",
            "befolkning_2.csv": "kommunekode;aar;indbyggere\n101;2024;661000\n147;2024;104.000\n",
        },
        warehouse="warehouse.duckdb",
    )
    con.close()
    assert len(report.warnings) == 13 and len(report.problems) == 2, (report.warnings, report.problems)
    res = _dbt(tmp_path, "build", "--select", "+int_graddage_aar", "+int_kommune_aar")
    assert res.returncode == 0, res.stdout[-3000:]
    assert "unique_key_reference_graddage_maaned" in res.stdout, res.stdout[-3000:]
    con = connect(tmp_path / "warehouse.duckdb")
    try:
        rows = con.execute(
            "SELECT aar, graddage_aar FROM intermediate.int_graddage_aar ORDER BY 1"
        ).fetchall()
        assert rows[1] == (2024, None)
        assert rows[0][0] == 2023 and abs(rows[0][1] - sum(round(gd * 0.9, 1) for gd in months)) < 1e-6
        assert con.execute("SELECT kommunekode, indbyggere FROM intermediate.int_kommune_aar").fetchall() == [
            ("0147", 104000)
        ]
        con.execute("INSERT INTO reference.graddage SELECT * FROM reference.graddage LIMIT 1")
    finally:
        con.close()
    res = _dbt(tmp_path, "test", "--select", "source:reference.graddage")
    assert res.returncode == 1 and "unique_key_reference_graddage_maaned" in res.stdout, res.stdout[-3000:]


def test_kkm2_run_names_the_conflicts_and_their_figures_are_null(tmp_path, capsys):
    """One real `kkm2 run` (demo data, one municipality, 2024) with the degree days given twice (identical),
    the el factor and the population given again with other values: normalised heat is as from one file,
    CO2e and area per inhabitant are null, and the run's output says why, in Danish."""
    import csv

    from conftest import query

    from pipeline.cli import main
    from pipeline.contract.codes import seed_rows
    from pipeline.demo_data import generate
    from pipeline.settings import Home

    home = Home(tmp_path / "home").ensure()
    generate(home.landing, kommuner=1, aar=[2024], seed=3, bygninger_pr_kommune=4, reference=home.reference)
    [kommune] = [p.name.zfill(4) for p in home.landing.iterdir()]
    (home.reference / "graddage_kopi.csv").write_bytes((home.reference / "graddage.csv").read_bytes())
    (home.reference / "emissionsfaktorer_el.csv").write_text(
        "forsyningsart;aar;g_co2e_pr_kwh;kilde\nel;2024;99;Anden deklaration\n", encoding="utf-8"
    )
    (home.reference / "befolkning_rettet.csv").write_text(
        f"kommunekode;aar;indbyggere\n{kommune};2024;1234\n", encoding="utf-8"
    )
    assert main(["run", "--home", str(home.root)]) == 0
    out = capsys.readouterr().out
    assert f"Referencedata ({home.reference}):" in out
    assert (
        "  FUND     emissionsfaktorer.csv række 2 og emissionsfaktorer_el.csv række 2, kolonne g_co2e_pr_kwh: "
        "forsyningsart el, år 2024 er angivet med forskellige værdier (130,0 og 99) – faktoren bruges ikke, så "
        "nøgletallet 'CO2e pr. m²' (co2e_kg_pr_m2) er tomt i 2024 for bygninger med el.\n"
    ) in out
    assert f"befolkning_rettet.csv række 2, kolonne indbyggere: kommune {kommune}, år 2024" in out
    assert f"(m2_pr_indbygger) er tomt for {kommune} i 2024" in out
    assert out.count("  ADVARSEL graddage_kopi.csv række ") == 12
    assert "  ADVARSEL graddage_kopi.csv række 2: måned 2024-01 står også i graddage.csv række 2 " in out

    release = home.current / "warehouse.duckdb"
    rows = query(
        release,
        "SELECT sektor, varme_kwh_pr_m2, varme_kwh_pr_m2_normaliseret, co2e_kg_pr_m2 FROM mart_noegletal_bygning",
    )
    assert rows and all(co2 is None for *_, co2 in rows)
    with open(home.reference / "graddage.csv", encoding="utf-8", newline="") as f:
        gd_year = sum(
            float(r["graddage"].replace(".", "").replace(",", ".")) for r in csv.DictReader(f, delimiter=";")
        )
    share = {r["kode"]: float(r["klimauafhaengig_andel"]) for r in seed_rows("sektorer.csv")}
    normal = float(seed_rows("graddage_normalaar.csv")[0]["graddage"])
    heated = [r for r in rows if r[1] is not None]
    assert heated
    for sektor, heat, normalised, _ in heated:  # the degree days of one file, not of two
        assert normalised == pytest.approx(heat * (share[sektor] + (1 - share[sektor]) * normal / gd_year))
    assert query(
        release,
        "SELECT count(*) FROM mart_noegletal_kommune WHERE noegletal = 'm2_pr_indbygger' AND kommunekode = ?",
        [kommune],
    ) == [(0,)]
