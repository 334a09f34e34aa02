"""Done-when of the walking skeleton: the real Eloverblik export as a 2018 submission."""

from __future__ import annotations

import csv
from collections import defaultdict

import pytest
from conftest import ELOVERBLIK_METER, query, real_file


def independent_monthly_sums_2018() -> dict[int, float]:
    """Monthly kWh of the file's hourly rows whose hour starts in 2018 (local time), read with the csv
    module, not with kkm2's reader."""
    path = real_file("energy", "eloverblik_meterdata_hourly_2017_2019_household.csv")
    sums: dict[int, float] = defaultdict(float)
    with open(path, encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f, delimiter=";"):
            if row["Type"] == "Tidsserier" and row["Fra dato"].startswith("2018-"):
                sums[int(row["Fra dato"][5:7])] += float(row["Mængde"].replace(".", "").replace(",", "."))
    return dict(sums)


def test_every_received_row_is_accounted_for(eloverblik_home):
    home, _ = eloverblik_home
    [(rec, acc, rej, skip)] = query(
        home.warehouse,
        """
        SELECT raekker_modtaget, raekker_accepteret, raekker_afvist, raekker_sprunget_over
        FROM audit.submission_datasets WHERE kommunekode = '0851' AND aar = 2018 AND dataset = 'forbrug'""",
    )
    assert (rec, acc, rej, skip) == (24731, 24720, 0, 11)
    assert rec == acc + rej + skip


def test_autumn_dst_hours_are_kept_without_overlap(eloverblik_home):
    home, _ = eloverblik_home
    rows = query(
        home.warehouse,
        """
        SELECT raekke, maengde, epoch(periode_fra), epoch(periode_til) FROM raw.forbrug
        WHERE periode_fra >= TIMESTAMPTZ '2017-10-29 00:00:00+00' AND periode_fra < TIMESTAMPTZ '2017-10-29 03:00:00+00'
        ORDER BY periode_fra""",
    )
    # 00:00Z = 02:00 summer time (0,940), 01:00Z = 02:00 winter time (0,300), 02:00Z = 03:00 (0,260)
    assert [r[1] for r in rows] == [0.94, 0.3, 0.26]
    for (_, _, _, end), (_, _, start, _) in zip(rows, rows[1:], strict=False):
        assert end == start


def test_monthly_consumption_equals_an_independent_sum_of_the_file(eloverblik_home):
    home, _ = eloverblik_home
    got = dict(
        query(
            home.warehouse,
            """
        SELECT month(maaned), maengde FROM marts.fct_forbrug_maaned
        WHERE kommunekode = '0851' AND aar = 2018 AND forsyningsart = 'el'""",
        )
    )
    expected = independent_monthly_sums_2018()
    assert set(got) == set(range(1, 13))
    for m in range(1, 13):
        assert got[m] == pytest.approx(expected[m], abs=1e-6)
    assert sum(got.values()) == pytest.approx(5241.97, abs=0.005)


def test_el_coverage_2018_and_the_key_figure(eloverblik_home):
    home, _ = eloverblik_home
    [(daekning, el_pr_m2, bda)] = query(
        home.current / "warehouse.duckdb",
        """
        SELECT el_daekning_pct, el_kwh_pr_m2, bda_m2 FROM mart_noegletal_bygning WHERE bygning_id = 'HUS-1'""",
    )
    assert daekning == pytest.approx(98.6, abs=0.05)
    assert bda == 150
    assert el_pr_m2 == pytest.approx(5241.97 / 150, abs=1e-4)


def test_the_maalere_row_maps_the_meter(eloverblik_home):
    home, _ = eloverblik_home
    assert query(home.warehouse, "SELECT maaler_id, bygning_id FROM raw.maalere") == [
        (ELOVERBLIK_METER, "HUS-1")
    ]
