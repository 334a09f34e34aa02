"""The command line: `kkm2 validate` for contributors, `kkm2 run` on an empty home."""

from __future__ import annotations

import json

from conftest import ELOVERBLIK_METER, query, real_file

from pipeline.cli import main, validate_main
from pipeline.run import run
from pipeline.settings import Home


def test_validate_exits_1_on_errors_and_names_file_row_column(tmp_path, capsys):
    (tmp_path / "bygninger.csv").write_text(
        "bygning_id;navn;anvendelseskode;bruttodriftsareal_m2;ejerforhold\nB1;Skolen;421;100;ejet\n"
        "B2;Hallen;533;abc;ejet\n",
        encoding="utf-8",
    )
    assert main(["validate", str(tmp_path), "--kommune", "101", "--aar", "2024"]) == 1
    out = capsys.readouterr().out
    assert "FEJL" in out and "bygninger.csv, række 3, kolonne bruttodriftsareal_m2" in out and "'abc'" in out
    assert "modtaget 2, accepteret 1, afvist 1" in out


def test_validate_json_and_a_clean_eloverblik_file(tmp_path, capsys):
    f = tmp_path / "forbrug" / f"{ELOVERBLIK_METER}.csv"
    f.parent.mkdir()
    f.write_bytes(real_file("energy", "eloverblik_meterdata_hourly_2017_2019_household.csv").read_bytes())
    (tmp_path / "bygninger.csv").write_text(
        "bygning_id;navn;anvendelseskode;bruttodriftsareal_m2;ejerforhold\nH;Hus;421;100;ejet\n",
        encoding="utf-8",
    )
    (tmp_path / "maalere.csv").write_text(
        f"maaler_id;bygning_id;forsyningsart\n{ELOVERBLIK_METER};H;el\n", encoding="utf-8"
    )
    assert validate_main([str(tmp_path), "--kommune", "0851", "--aar", "2018", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["counts"]["forbrug"]["raekker_accepteret"] == 24720
    assert data["counts"]["forbrug"]["raekker_sprunget_over"] == 11
    assert all(f["alvorlighed"] != "fejl" for f in data["findings"])


def test_run_on_an_empty_home_publishes_an_empty_release(tmp_path):
    home = Home(tmp_path / "home").ensure()
    report = run(home)
    assert report.success and report.release is not None
    assert query(home.current / "warehouse.duckdb", "SELECT count(*) FROM mart_noegletal_bygning") == [(0,)]
    assert query(home.current / "warehouse.duckdb", "SELECT count(*) FROM dim_kommune") == [(98,)]
