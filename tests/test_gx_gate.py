"""GX really runs and fails loudly: rows that break the contract are found by the generated suite."""

from __future__ import annotations

from pipeline.quality.gx_gate import check_accepted


def test_gx_finds_rows_the_validator_should_have_rejected(mem):
    mem.execute("""CREATE TABLE acc AS SELECT * FROM (VALUES
        ('M1', 'B1', 'el', 1.0, NULL::DATE, NULL::DATE),
        ('M2', 'B1', 'damp', 1.5, NULL::DATE, NULL::DATE)
    ) t(maaler_id, bygning_id, forsyningsart, andel, aktiv_fra, aktiv_til)""")
    result = check_accepted(mem, "maalere", "acc")
    assert not result["success"]
    failed = {(f["expectation"], f["column"]) for f in result["failures"]}
    assert ("expect_column_values_to_be_in_set", "forsyningsart") in failed
    assert ("expect_column_values_to_be_between", "andel") in failed


def test_gx_passes_valid_rows(mem):
    mem.execute("""CREATE TABLE acc AS SELECT * FROM (VALUES
        ('M1', 'B1', 'el', 1.0, NULL::DATE, NULL::DATE)
    ) t(maaler_id, bygning_id, forsyningsart, andel, aktiv_fra, aktiv_til)""")
    assert check_accepted(mem, "maalere", "acc") == {"success": True, "rows": 1, "failures": []}
