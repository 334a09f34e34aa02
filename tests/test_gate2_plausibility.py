"""Gate 2's plausibility checks on a small real DuckDB warehouse and a previous release: a building's energy
per m² outside its sektor's p1–p99, and meters with gaps — warnings with examples, evaluated by GX."""

from __future__ import annotations

import duckdb

from pipeline.quality.gates import OUTLIER_MIN_BUILDINGS, DocsWriter, gate2
from pipeline.settings import connect


def test_energy_outliers_against_the_previous_release_and_meter_gaps(tmp_path):
    previous = tmp_path / "forrige"
    previous.mkdir()
    prev = duckdb.connect(str(previous / "warehouse.duckdb"))
    n = OUTLIER_MIN_BUILDINGS + 10
    prev.execute(
        "CREATE TABLE mart_noegletal_bygning AS SELECT 'skole' AS sektor, (40 + i)::DOUBLE AS el_kwh_pr_m2, "
        "(100 + i)::DOUBLE AS varme_kwh_pr_m2 FROM range(?) t(i)",
        [n],
    )
    # a sektor with too few buildings has no distribution: never a warning
    prev.execute("INSERT INTO mart_noegletal_bygning VALUES ('idraet', 10, 10)")
    prev.close()
    con = connect(tmp_path / "live.duckdb")
    con.execute("CREATE SCHEMA marts; CREATE SCHEMA intermediate")
    con.execute(
        "CREATE TABLE marts.mart_noegletal_bygning (kommunekode VARCHAR, aar INTEGER, bygning_id VARCHAR, "
        "sektor VARCHAR, el_kwh_pr_m2 DOUBLE, varme_kwh_pr_m2 DOUBLE)"
    )
    con.execute(
        "INSERT INTO marts.mart_noegletal_bygning VALUES "
        "('0101', 2024, 'B1', 'skole', 55, 120), ('0101', 2024, 'B2', 'skole', 900, 120), "
        "('0101', 2024, 'B3', 'skole', NULL, 1), ('0101', 2024, 'B4', 'idraet', 5000, 5000), "
        "('0147', 2024, 'C1', 'skole', 50, 110)"
    )
    con.execute(
        "CREATE TABLE intermediate.int_maaler_daekning AS SELECT * FROM (VALUES "
        "('0101', 2024, 'M1', 'B1', 'el', 100, 100), ('0101', 2024, 'M2', 'B2', 'el', 80, 100), "
        "('0147', 2024, 'M3', 'C1', 'el', 100, 100)) "
        "t(kommunekode, aar, maaler_id, bygning_id, forsyningsart, daekkede_sekunder, forventede_sekunder)"
    )
    docs = DocsWriter(tmp_path / "quality")
    results = {(r.kontrol, r.kommunekode): r for r in gate2(con, docs, previous)}
    docs.finish()
    energy = results[("energi_uden_for_fordeling", "0101")]
    assert energy.status == "advarsel" and energy.gate == "2"
    assert energy.antal == 2  # B2's el above p99 and B3's heat below p1; B4's sektor has no distribution
    assert energy.eksempler == [
        "B2: el_kwh_pr_m2 900,0 (p1–p99 40,3–68,7)",
        "B3: varme_kwh_pr_m2 1,0 (p1–p99 100,3–128,7)",
    ]
    assert results[("energi_uden_for_fordeling", "0147")].status == "ok"
    gaps = results[("maalere_med_huller", "0101")]
    assert gaps.status == "advarsel" and gaps.eksempler == ["M2 (80,0 %)"]
    assert "99,9 %" in gaps.besked
    assert results[("maalere_med_huller", "0147")].status == "ok"
    assert all(r.evalueret > 0 for r in results.values())
    assert (tmp_path / "quality" / "0101" / "index.html").exists()
