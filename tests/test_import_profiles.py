"""Import profiles on real exports: the Danish smart heat-meter file (cumulative kWh register, UTC) as
`aflaesning` readings of a fjernvarme meter, and the UCI office readings as `indeklima_maalinger`."""

from __future__ import annotations

import csv
import shutil
from collections import defaultdict
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from conftest import query, real_file

from pipeline.contract.profiles import load_profiles, parse_profile
from pipeline.run import run
from pipeline.settings import Home

HEAT_PROFILE = """
navn = "relife_varmemaaler"
datasaet = "forbrug"
kommuner = ["851"]
filer = "varme/*.csv"
tidszone = "UTC"
ignorer = ["customer_id", "volume_flow_m3", "inlet_flow_energy_m3xC", "back_flow_energy_m3xC"]
[kolonner]
maaler_id = "meter_id"
periode_til = "time_rounded"
maengde = "energy_heat_kwh"
[konstanter]
bygning_id = "HUS-660"
forsyningsart = "fjernvarme"
maaletype = "aflaesning"
enhed = "kWh"
"""

UCI_PROFILE = """
navn = "uci_kontor"
datasaet = "indeklima_maalinger"
filer = "indeklima/*.txt"
tidszone = "Europe/Brussels"
ignorer = ["Light", "HumidityRatio"]
[kolonner]
tidspunkt = "Date"
temperatur_c = "Temperature"
relativ_fugtighed_pct = "Humidity"
co2_ppm = "CO2"
i_brug = "Occupancy"
[konstanter]
bygning_id = "KONTOR-1"
lokale_id = "rum-1"
"""


@pytest.fixture(scope="module")
def profile_home(tmp_path_factory):
    home = Home(tmp_path_factory.mktemp("profiles")).ensure()
    (home.reference / "profiler").mkdir(parents=True)
    (home.reference / "profiler" / "relife.toml").write_text(HEAT_PROFILE, encoding="utf-8")
    (home.reference / "profiler" / "uci.toml").write_text(UCI_PROFILE, encoding="utf-8")
    heat = home.landing / "0851" / "2019"
    (heat / "varme").mkdir(parents=True)
    shutil.copyfile(
        real_file("energy", "dk_heat_meters_hourly_sample.csv"), heat / "varme" / "maaler_660.csv"
    )
    (heat / "bygninger.csv").write_text(
        "bygning_id;navn;anvendelseskode;bruttodriftsareal_m2;ejerforhold;opfoerelsesaar\n"
        "HUS-660;Parcelhus;120;140;ejet;1969\n",
        encoding="utf-8",
    )
    office = home.landing / "0851" / "2015"
    (office / "indeklima").mkdir(parents=True)
    shutil.copyfile(
        real_file("indoor_climate", "uci_occupancy_office_datatraining.txt"), office / "indeklima" / "uci.txt"
    )
    (office / "bygninger.csv").write_text(
        "bygning_id;navn;anvendelseskode;bruttodriftsareal_m2;ejerforhold\nKONTOR-1;Kontor;321;400;ejet\n",
        encoding="utf-8",
    )
    report = run(home)
    assert report.success, report
    return home


def register_at(local: datetime) -> float:
    """The register value at a local instant, read with the csv module (independent of kkm2)."""
    want = local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")
    with open(real_file("energy", "dk_heat_meters_hourly_sample.csv"), encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["time_rounded"].startswith(want):
                return float(row["energy_heat_kwh"])
    raise AssertionError(f"no reading at {want}")


def test_heat_register_year_equals_the_difference_of_the_register(profile_home):
    cph = ZoneInfo("Europe/Copenhagen")
    expected = register_at(datetime(2020, 1, 1, tzinfo=cph)) - register_at(datetime(2019, 1, 1, tzinfo=cph))
    [(total, n_months)] = query(
        profile_home.warehouse,
        """
        SELECT sum(maengde), count(*) FROM marts.fct_forbrug_maaned
        WHERE kommunekode = '0851' AND aar = 2019 AND bygning_id = 'HUS-660' AND forsyningsart = 'fjernvarme'""",
    )
    assert n_months == 12
    assert total == pytest.approx(expected, abs=1e-6)
    [(daekning,)] = query(
        profile_home.warehouse,
        """
        SELECT varme_daekning_pct FROM marts.mart_noegletal_bygning WHERE bygning_id = 'HUS-660'""",
    )
    assert daekning == pytest.approx(100.0)


def test_heat_file_rows_are_all_accounted_for(profile_home):
    [(rec, acc, rej, skip)] = query(
        profile_home.warehouse,
        """
        SELECT raekker_modtaget, raekker_accepteret, raekker_afvist, raekker_sprunget_over
        FROM audit.submission_datasets WHERE aar = 2019 AND dataset = 'forbrug'""",
    )
    assert rec == 26256 and rec == acc + rej + skip
    assert acc > 26000


def independent_co2_share() -> tuple[float, int]:
    """100 × occupied hours with mean CO2 > 1000 / occupied hours, straight from the UCI file."""
    hours: dict[str, list[tuple[float, int]]] = defaultdict(list)
    with open(real_file("indoor_climate", "uci_occupancy_office_datatraining.txt"), encoding="utf-8") as f:
        for row in csv.DictReader(f):
            hours[row["Date"][:13]].append((float(row["CO2"]), int(row["Occupancy"])))
    occupied = [h for h in hours.values() if 2 * sum(o for _, o in h) >= len(h)]
    high = [h for h in occupied if sum(c for c, _ in h) / len(h) > 1000]
    return 100.0 * len(high) / len(occupied), len(occupied)


def test_uci_share_of_occupied_hours_with_co2_over_1000(profile_home):
    expected, n_occupied = independent_co2_share()
    [(share, n)] = query(
        profile_home.warehouse,
        """
        SELECT 100.0 * count(*) FILTER (WHERE co2_ppm > 1000) / count(*), count(*)
        FROM intermediate.int_indeklima_timer
        WHERE kommunekode = '0851' AND aar = 2015 AND er_i_brug AND co2_ppm IS NOT NULL""",
    )
    assert n == n_occupied > 0
    assert share == pytest.approx(expected, abs=1e-9)


def test_uci_readings_keep_their_local_time(profile_home):
    [(first, n)] = query(
        profile_home.warehouse,
        """
        SELECT min(tidspunkt), count(*) FROM raw.indeklima_maalinger WHERE aar = 2015""",
    )
    assert n == 8143
    assert first.astimezone(UTC) == datetime(2015, 2, 4, 16, 51, tzinfo=UTC)  # 17:51 in Brussels


def test_profile_problems_are_reported_not_used(tmp_path):
    bad, problems = parse_profile(
        {"datasaet": "forbrug", "filer": "*.csv", "kolonner": {"maengden": "x"}, "tidszone": "Mars/Olympus"},
        "x.toml",
    )
    assert bad is None
    assert any("maengden" in p for p in problems) and any("Mars/Olympus" in p for p in problems)
    (tmp_path / "broken.toml").write_text("navn = ", encoding="utf-8")
    profiles, problems = load_profiles(tmp_path)
    assert profiles == [] and "broken.toml" in problems[0]
