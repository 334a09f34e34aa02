"""GX really runs and fails loudly: rows that break the contract are found by the generated suite."""

from __future__ import annotations

import pytest

from pipeline.contract.datasets import DATASETS
from pipeline.quality.gx_gate import check_accepted, load_suite


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
    result = check_accepted(mem, "maalere", "acc")
    assert (result["success"], result["rows"], result["failures"]) == (True, 1, [])


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


def _validated_sandbox(tmp_path):
    """A real submission through the real validator, in a sealed sandbox: its accepted-rows views."""
    from pipeline.settings import sandbox
    from pipeline.validation.core import SubmissionFile
    from pipeline.validation.engine import validate_files

    (tmp_path / "bygninger.csv").write_text(
        "bygning_id;navn;anvendelseskode;bruttodriftsareal_m2;ejerforhold\n"
        "B1;Skolen;421;1000;ejet\nB2;Hallen;421;500;ejet\n",
        encoding="utf-8",
    )
    (tmp_path / "maalere.csv").write_text(
        "maaler_id;bygning_id;forsyningsart\n" + "".join(f"M{i};B{1 + i % 2};el\n" for i in range(50)),
        encoding="utf-8",
    )
    files = [SubmissionFile(tmp_path / f"{d}.csv", f"{d}.csv") for d in ("bygninger", "maalere")]
    con = sandbox(tmp_path / "duckdb")
    result = validate_files(con, files, "0101", 2024, tmp_path / "box")
    assert result.counts["maalere"].accepted == 50
    return con, result.accepted_tables["maalere"]


def test_gx_decides_on_every_accepted_row_and_catches_a_row_planted_after_validation(tmp_path):
    """Through the real path: the validator's sealed sandbox, its accepted-rows view, GX's SQL engine on that
    connection. Clean rows pass with all 50 evaluated; a bad row slipped in behind the validator is found."""
    con, table = _validated_sandbox(tmp_path)
    try:
        assert con.execute("SELECT current_setting('enable_external_access')").fetchall() == [(False,)]
        clean = check_accepted(con, "maalere", table)
        assert (clean["success"], clean["rows"], clean["failures"]) == (True, 50, [])
        # the evidence the Dagster check shows: every expectation of the suite, each on all 50 rows
        assert len(clean["expectations"]) == len(load_suite("maalere").expectations) > 0
        assert all(e["evaluated"] == 50 and e["unexpected"] == 0 for e in clean["expectations"])
        con.execute("UPDATE typed_maalere SET forsyningsart = 'damp' WHERE maaler_id = 'M37'")
        result = check_accepted(con, "maalere", table)
        assert not result["success"] and result["rows"] == 50
        found = {(e["expectation"], e["column"]): e["unexpected"] for e in result["expectations"]}
        assert found[("expect_column_values_to_be_in_set", "forsyningsart")] == 1
        assert sum(found.values()) == 1
        assert result["failures"] == [
            {
                "expectation": "expect_column_values_to_be_in_set",
                "column": "forsyningsart",
                "unexpected_count": 1,
                "eksempler": ["damp"],
            }
        ]
        # the sandbox connection is still open and usable after GX's engine is gone
        assert con.execute(f"SELECT count(*) FROM {table}").fetchall() == [(50,)]
    finally:
        con.close()


def test_gx_evaluating_nothing_fails_loudly(mem, monkeypatch):
    """The known failure mode of GX 1.x's SQL engine on DuckDB: it fetches a result after closing the SQLAlchemy
    connection, whose rollback makes DuckDB drop it, so every metric is empty. Reproduced with duckdb-engine's
    stock connection wrapper, it must raise, never pass and never look like a finding."""
    from duckdb_engine import ConnectionWrapper

    from pipeline.quality import gx_gate
    from pipeline.quality.gates import GxEvaluatedNothing

    class StockWrapper(ConnectionWrapper):
        def close(self):  # only so that the test's connection survives the engine
            pass

    mem.execute("""CREATE TABLE acc AS SELECT * FROM (VALUES
        ('M1', 'B1', 'el', 1.0, NULL::DATE, NULL::DATE)
    ) t(maaler_id, bygning_id, forsyningsart, andel, aktiv_fra, aktiv_til)""")
    assert check_accepted(mem, "maalere", "acc")["success"]
    monkeypatch.setattr(gx_gate, "_sandbox_connection_type", lambda: StockWrapper)
    with pytest.raises(GxEvaluatedNothing, match="did not evaluate all 1 accepted rows"):
        check_accepted(mem, "maalere", "acc")


def test_gx_evaluating_only_part_of_the_rows_fails_loudly(mem, monkeypatch):
    """GX must decide on all accepted rows: a batch that reaches fewer of them (here the first one of two, bad
    row unseen) raises rather than passing."""
    from pipeline.quality import gx_gate
    from pipeline.quality.gates import GxEvaluatedNothing

    mem.execute("""CREATE TABLE acc AS SELECT * FROM (VALUES
        ('M1', 'B1', 'el', 1.0, NULL::DATE, NULL::DATE),
        ('M2', 'B1', 'damp', 1.0, NULL::DATE, NULL::DATE)
    ) t(maaler_id, bygning_id, forsyningsart, andel, aktiv_fra, aktiv_til)""")
    whole = gx_gate.sql_batch
    monkeypatch.setattr(
        gx_gate, "sql_batch", lambda con, t: whole(con, f"(SELECT * FROM {t} LIMIT 1) AS part")
    )
    with pytest.raises(GxEvaluatedNothing, match="did not evaluate all 2 accepted rows"):
        check_accepted(mem, "maalere", "acc")
