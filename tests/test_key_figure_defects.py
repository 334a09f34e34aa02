"""Issue 17's defects, each through a real `kkm2 run` (real validator, dbt, gates and release) on one
submission built for them, with the values computed by hand from KEY_FIGURES.md and INFORMATION_MODEL.md.
Each assertion failed on main before the fix (the value main gave is in the comment)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from conftest import query

from pipeline.settings import Home

KOMMUNE, AAR = "0101", 2024
HOURS_2024 = 8784


def _bygninger() -> str:
    rows = [
        ("I1", "Indeklima, sommertid", "", ""),
        ("I2", "Indeklima, lokaler", "", ""),
        ("C1", "Før flytning", "", ""),
        ("C2", "Efter flytning", "", ""),
        ("D1", "Faldende tæller", "", ""),
        ("D2", "Tæller i sommertid", "", ""),
        ("P1", "Rådhus januar-september", "2024-01-01", "2024-09-30"),
    ]
    head = "bygning_id;navn;anvendelseskode;bruttodriftsareal_m2;ejerforhold;i_brug_fra;i_brug_til\n"
    return head + "".join(f"{b};{n};421;1000;ejet;{fra};{til}\n" for b, n, fra, til in rows)


def _indeklima() -> str:
    head = "bygning_id;lokale_id;tidspunkt;co2_ppm;temperatur_c;i_brug\n"
    start = datetime(2024, 10, 21, 0, 10)
    lines = []
    # I1/R1: 38 ordinary occupied hours plus 02:10 summer time (1500 ppm) and 02:10 winter time (500 ppm) on
    # 27 October, in file order: 40 occupied hours, one over 1000 ppm. Main merged the two into one hour
    # (39 hours, mean 1000 ppm): every indoor figure null.
    lines += [f"I1;R1;{(start + timedelta(hours=i)):%Y-%m-%d %H:%M};800;22;1\n" for i in range(38)]
    lines += ["I1;R1;2024-10-27 02:10;1500;22;1\n", "I1;R1;2024-10-27 02:10;500;22;1\n"]
    # I2: R1 39 hours at 800 ppm (grade 1), R2 one hour at 1500 ppm (100 % → grade 5): the building has 40
    # room-hours, so both rooms are graded from measurements: (1 + 5) / 2 = 3. Main graded R1 by its old
    # screening (4) and R2 not at all: 4.
    lines += [f"I2;R1;{(start + timedelta(hours=i)):%Y-%m-%d %H:%M};800;22;1\n" for i in range(39)]
    lines += ["I2;R2;2024-10-21 08:10;1500;22;1\n"]
    return head + "".join(lines)


def _forbrug() -> str:
    head = "maaler_id;bygning_id;forsyningsart;periode_fra;periode_til;maengde;enhed;maaletype\n"
    lines = []
    # W1 served C1 January-June and C2 July-December; each row names its building. Main gave each building
    # all 540 m³ at 100 % coverage.
    for m in range(1, 13):
        end = f"01.{m + 1:02d}.2024" if m < 12 else "01.01.2025"
        b, v = ("C1", 40) if m <= 6 else ("C2", 50)
        lines.append(f"W1;{b};vand;01.{m:02d}.2024;{end};{v};m3;forbrug\n")
    # E1: register 10 000 → 15 000 (1 July) → 6 000 (2 July, decreasing: that day's interval is rejected) →
    # 6 120 (1 January 2025): 5 000 + 120 kWh. Main paired 15 000 with 6 120 (−8 880 kWh) and gate 3 held
    # the whole submission back.
    for ts, v in (
        ("2024-01-01 00:00", 10000),
        ("2024-07-01 00:00", 15000),
        ("2024-07-02 00:00", 6000),
        ("2025-01-01 00:00", 6120),
    ):
        lines.append(f"E1;D1;el;;{ts};{v};kWh;aflaesning\n")
    # E2: two readings at 02:00 on 27 October (summer time, then winter time): 60 000 kWh in the year.
    # Main gave both the same instant and lost an interval: 59 990.
    for ts, v in (
        ("2024-01-01 00:00", 0),
        ("2024-10-27 02:00", 50000),
        ("2024-10-27 02:00", 50010),
        ("2025-01-01 00:00", 60000),
    ):
        lines.append(f"E2;D2;el;;{ts};{v};kWh;aflaesning\n")
    # H1: P1 is in use January-September; its heat meter has January-October. Only January-September counts,
    # and the coverage is of the in-use period: 100 %. Main: October counted and coverage 83 % → null.
    for m in range(1, 11):
        lines.append(f"H1;P1;fjernvarme;01.{m:02d}.2024;01.{m + 1:02d}.2024;1000;kWh;forbrug\n")
    return head + "".join(lines)


@pytest.fixture(scope="module")
def defects_home(tmp_path_factory):
    from pipeline.run import run

    home = Home(tmp_path_factory.mktemp("defects_home")).ensure()
    sub = home.landing / KOMMUNE / str(AAR)
    sub.mkdir(parents=True)
    (sub / "bygninger.csv").write_text(_bygninger(), encoding="utf-8")
    (sub / "indeklima_maalinger.csv").write_text(_indeklima(), encoding="utf-8")
    (sub / "indeklima_vurderinger.csv").write_text(
        "bygning_id;lokale_id;karakter;metode;vurderingsdato\nI2;R1;4;screening;2024-02-01\n",
        encoding="utf-8",
    )
    (sub / "forbrug.csv").write_text(_forbrug(), encoding="utf-8")
    report = run(home)
    assert report.success, report
    return home


def _figures(home, *cols):
    rows = query(
        home.current / "warehouse.duckdb",
        f"SELECT bygning_id, {', '.join(cols)} FROM mart_noegletal_bygning WHERE kommunekode = ? AND aar = ?",
        [KOMMUNE, AAR],
    )
    return {r[0]: r[1:] for r in rows}


def test_the_repeated_autumn_hour_is_two_occupied_hours(defects_home):
    got = _figures(
        defects_home, "andel_timer_co2_over_1000", "andel_timer_temp_uden_for_20_26", "indeklima_karakter"
    )
    assert got["I1"] == pytest.approx((100 * 1 / 40, 0.0, 1.0))


def test_the_40_hour_minimum_is_the_buildings_not_the_rooms(defects_home):
    got = _figures(defects_home, "andel_timer_co2_over_1000", "indeklima_karakter")
    assert got["I2"] == pytest.approx((100 * 1 / 40, 3.0))


def test_a_moved_meter_gives_each_building_only_its_own_part(defects_home):
    got = _figures(defects_home, "vand_m3_pr_m2", "vand_daekning_pct")
    assert got["C1"] == pytest.approx((240 / 1000, 100.0))
    assert got["C2"] == pytest.approx((300 / 1000, 100.0))


def test_a_decreasing_register_rejects_only_its_interval_and_nothing_is_held_back(defects_home):
    got = _figures(defects_home, "el_kwh_pr_m2", "el_daekning_pct")
    assert got["D1"] == pytest.approx(((5000 + 120) / 1000, 100 * (HOURS_2024 - 24) / HOURS_2024))
    [(status,)] = query(
        defects_home.current / "warehouse.duckdb",
        "SELECT status FROM mart_indberetning_status WHERE kommunekode = ? AND aar = ? AND dataset = 'forbrug'",
        [KOMMUNE, AAR],
    )
    assert status == "godkendt"
    [(negative,)] = query(
        defects_home.warehouse,
        "SELECT count(*) FROM intermediate.int_forbrug_perioder WHERE maengde_basis < 0",
    )
    assert negative == 0


def test_register_readings_in_the_repeated_hour_lose_no_interval(defects_home):
    got = _figures(defects_home, "el_kwh_pr_m2", "el_daekning_pct")
    assert got["D2"] == pytest.approx((60000 / 1000, 100.0))


def test_a_part_year_building_expects_and_counts_only_its_in_use_period(defects_home):
    got = _figures(defects_home, "bda_m2", "varme_kwh_pr_m2", "varme_daekning_pct")
    bda = 1000 * 274 / 366  # 1 January - 30 September 2024
    assert got["P1"] == pytest.approx((bda, 9000 / bda, 100.0))
