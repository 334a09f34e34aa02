"""Reference data from the steward: FOLK1A as downloaded (names incl. old spellings), the simple form,
degree days, emission factors, participants; problems reported, never fatal."""

from __future__ import annotations

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


def load(tmp_path, files: dict[str, bytes | str]):
    ref = tmp_path / "reference"
    ref.mkdir()
    for name, content in files.items():
        (ref / name).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    con = connect(tmp_path / "w.duckdb")
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
