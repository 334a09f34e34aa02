"""GX really runs and fails loudly: rows that break the contract are found by the generated suite."""

from __future__ import annotations

from pipeline.contract.datasets import DATASETS
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


def test_every_kind_of_expectation_fails_loudly_on_text_columns(mem):
    """The batch GX sees has text as pandas categoricals: each kind of expectation still finds its row."""
    long_id = "B" * 65
    given = [
        "bygning_id",
        "navn",
        "bbr_id",
        "postnummer",
        "anvendelseskode",
        "bruttodriftsareal_m2",
        "ejerforhold",
    ]
    rest = ", ".join(
        f"NULL::{c.sql_type} AS {c.name}" for c in DATASETS["bygninger"].columns if c.name not in given
    )
    mem.execute(f"""CREATE TABLE acc AS SELECT *, {rest} FROM (VALUES
        ('B1', 'Skolen', '12345678-1234-1234-1234-123456789abc', '8000', 421, 1000.0, 'ejet'),
        ('B1', 'Hallen', 'ikke-en-uuid', '0100', 421, 500.0, 'ejet'),
        ('{long_id}', NULL, NULL, NULL, 421, 100.0, 'stjaalet')
    ) t({", ".join(given)})""")
    result = check_accepted(mem, "bygninger", "acc")
    failed = {(f["expectation"], f["column"]): f for f in result["failures"]}
    assert set(failed) == {
        ("expect_column_values_to_be_unique", "bygning_id"),
        ("expect_column_value_lengths_to_be_between", "bygning_id"),
        ("expect_column_values_to_not_be_null", "navn"),
        ("expect_column_values_to_match_regex", "bbr_id"),
        ("expect_column_values_to_match_regex", "postnummer"),
        ("expect_column_values_to_be_in_set", "ejerforhold"),
    }
    assert failed[("expect_column_values_to_be_in_set", "ejerforhold")]["eksempler"] == ["stjaalet"]
    assert failed[("expect_column_values_to_match_regex", "postnummer")]["eksempler"] == ["0100"]
    assert failed[("expect_column_values_to_be_unique", "bygning_id")]["unexpected_count"] == 2
