"""Thresholds in one home (KEY_FIGURES.md, "Parameters — one home"): every threshold a rule uses is a row of
seeds/parametre.csv; the SQL reads it with the macro parameter(), Python through pipeline.contract.parameters,
the report from the release's copy. The dbt unit tests with other values than the seed's
(models/marts/*_unit_tests.yml, e.g. every_threshold_and_its_reason_text_come_from_parametre) show the SQL
follows the seed; these tests cover the Python side and guard against a literal creeping back."""

from __future__ import annotations

import importlib
import re

import pytest

from pipeline.contract import parameters as p
from pipeline.contract.codes import seed_rows
from pipeline.settings import REPO_ROOT
from pipeline.text import da_number_short

MODELS = REPO_ROOT / "models"
MACROS = REPO_ROOT / "dbt_project" / "macros"
USES = re.compile(r"\{\{\s*parameter\('([a-z0-9_]+)'\)\s*\}\}")


def _sql_files():
    return [*MODELS.rglob("*.sql"), *MACROS.rglob("*.sql")]


def test_every_parameter_the_sql_reads_is_in_the_seed_and_every_row_is_read():
    seed = {r["parameter"] for r in seed_rows(p.PARAMETER_SEED)}
    used = {name for f in _sql_files() for name in USES.findall(f.read_text(encoding="utf-8"))}
    assert used <= seed, used - seed
    python = {v for k, v in vars(p).items() if k.isupper() and k != "PARAMETER_SEED"}
    assert python <= seed, python - seed
    assert seed <= used | python, seed - used - python  # no row that no rule reads
    assert p.parameter(p.DAEKNING_MIN_PCT) == 95
    assert p.parameter(p.BENCHMARK_MIN_DAEKNING_PCT) == 50
    assert p.parameter(p.COMPARABLE_MAX_COVERAGE_DIFFERENCE) == 10
    assert p.parameter(p.EFTERSYN_UDGIFT_FRAKTIL) == 0.75
    assert p.parameter(p.EFTERSYN_TILSTAND_MIN) == 3.5
    assert p.parameter(p.EFTERSYN_ANVENDELSESGRAD_UNDER) == 40
    assert p.parameter(p.EFTERSYN_UDNYTTELSESGRAD_UNDER) == 60
    assert p.parameter("min_brugte_rumtimer") == 40
    assert not (REPO_ROOT / "seeds" / "naermere_eftersyn_regel.csv").exists()  # moved into parametre


# The marts whose rules have a threshold, and literals of those thresholds that must not come back (in code,
# comments or reason texts).
LITERALS = {
    "mart_noegletal_bygning": (r">=\s*95\b", r"\b75 %", r"3,5", r"\b40 %", r"\b60 %", r"0\.75", r"\b3\.5\b"),
    "mart_noegletal_kommune": (r">=\s*50\b", r"\b50 %"),
    "mart_benchmark": (r">=\s*3\b", r"<\s*3\b", r"\b50 %"),
    "mart_kommune_sammenligning": (
        r">=\s*3\b",
        r"<\s*3\b",
        r"\b50 %",
        r"<=\s*10\b",
        r"\b10 (percentage )?points",
    ),
}


@pytest.mark.parametrize("model", sorted(LITERALS))
def test_no_mart_repeats_a_threshold_as_a_literal(model):
    sql = (MODELS / "marts" / f"{model}.sql").read_text(encoding="utf-8")
    assert "{{ parameter('" in sql
    found = [pat for pat in LITERALS[model] if re.search(pat, sql)]
    assert not found, (model, found)


def test_parameter_text_is_danish_with_only_the_decimals_it_has():
    assert p.parameter_text(p.EFTERSYN_UDGIFT_FRAKTIL, 100) == "75"
    assert p.parameter_text(p.EFTERSYN_TILSTAND_MIN) == "3,5"
    assert [da_number_short(x) for x in (62.5, 1234.25, 0.7 * 100, 100.0, 0.0, -0.5)] == [
        "62,5",
        "1.234,25",
        "70",
        "100",
        "0",
        "-0,5",
    ]


def test_the_generated_column_docs_quote_the_seed(monkeypatch):
    """The published tables' YAML (pipeline/generate/dbt_marts.py) with other values in the seed: its texts
    follow."""
    import pipeline.generate.dbt_marts as dbt_marts

    shipped = dbt_marts.render_marts_yml()
    assert "Færre end 3 kommuner" in shipped and "Dækning ≥ 50 %" in shipped
    assert "højst 10 procentpoint" in shipped
    values = {
        **p.parameters(),
        p.SUPPRESSION_MIN_KOMMUNER: 4.0,
        p.BENCHMARK_MIN_DAEKNING_PCT: 55.0,
        p.COMPARABLE_MAX_COVERAGE_DIFFERENCE: 12.5,
    }
    monkeypatch.setattr(p, "parameters", lambda: values)
    try:
        text = importlib.reload(dbt_marts).render_marts_yml()
    finally:
        monkeypatch.undo()
        importlib.reload(dbt_marts)
    assert "Færre end 4 kommuner" in text and "undertrykt under 4 kommuner" in text
    assert "tom når færre end 4 sammenlignes" in text
    assert "Dækning ≥ 55 %" in text and "højst 12,5 procentpoint" in text
    assert "Færre end 3 kommuner" not in text and "Dækning ≥ 50 %" not in text
