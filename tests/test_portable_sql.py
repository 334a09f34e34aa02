"""The models are portable SQL (issue 22, docs/spark.md): a construct only DuckDB knows may appear in a model
only through a macro that dispatches per adapter (dbt_project/macros), where each engine gets its own
spelling. This test reads every model's SQL with its comments, Jinja and string literals left out and fails
on any DuckDB-only construct; tests/spark/ proves on Spark that the rest works there too."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.settings import REPO_ROOT

MODELS = sorted((REPO_ROOT / "models").rglob("*.sql"))
MACROS = sorted((REPO_ROOT / "dbt_project" / "macros").glob("*.sql"))

# DuckDB-only construct -> the portable way (a dispatched macro of dbt_project/macros or dbt's own)
DUCKDB_ONLY: dict[str, str] = {
    r"\btimestamptz\b|\btimestamp\s+with\s+time\s+zone\b": "date_start / year_start (an instant)",
    r"\bdate_?diff\s*\(\s*'": "dbt.datediff",
    r"\bepoch(_ms|_us)?\s*\(": "seconds_between",
    r"\bto_timestamp\s*\(": "hour_start",
    r"\bisodow\s*\(|\bdayofweek\s*\(": "iso_weekday",
    r"\bquantile(_cont|_disc)?\s*\(": "quantile_cont (the macro)",
    r"\barg_(max|min)\s*\(": "max_by / min_by",
    r"\bgenerate_series\s*\(|\brange\s*\(": "month_starts",
    r"\bformat\s*\(|\bprintf\s*\(": "format_thousands / da_num",
    r"\bstring_agg\s*\(|\bgroup_concat\s*\(|\blistagg\s*\(": "string_agg_ordered",
    r"\bunnest\s*\(|\bexplode\s*\(": "unnest_list",
    r"\berror\s*\(|\braise_error\s*\(": "raise_error (the macro)",
    r"\bunpivot\b|\bcolumns\s*\(": "unpivot_columns",
    r"\*\s*(exclude|except)\b": "star_except",
    r"\*\s*replace\b": "the columns, named",
    r"::": "cast(… as …)",
    r"\[": "a list or index: a dispatched macro",
    r"\bvarchar\b(?!\s*\()": "string",
    r"\bhugeint\b|\bubigint\b|\butinyint\b": "bigint / decimal(38, 0)",
    r"\)\s*in\s*\(\s*select\s*\(": "active_version (a struct IN)",
    r"\bdelete\s+from\b": "an incremental hook macro",
}

_JINJA = re.compile(r"\{#.*?#\}|\{\{.*?\}\}|\{%.*?%\}", re.S)
_COMMENT = re.compile(r"--[^\n]*")
_STRING = re.compile(r"'(?:[^']|'')*'")


def sql_of(text: str) -> str:
    """A model's own SQL: Jinja (macro calls, config), comments and string literals blanked out."""
    text = _JINJA.sub(" ", text)
    text = _COMMENT.sub(" ", text)
    return _STRING.sub("''", text)


def duckdb_only(text: str) -> list[str]:
    """The DuckDB-only constructs in a model's text, each as `<what it found> (use <the portable way>)`."""
    sql = sql_of(text).lower()
    found = []
    for pattern, instead in DUCKDB_ONLY.items():
        for m in re.finditer(pattern, sql):
            line = sql.count("\n", 0, m.start()) + 1
            found.append(f"line {line}: {m.group(0).strip()!r} (use {instead})")
    return found


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_model_uses_no_duckdb_only_construct(path: Path):
    assert duckdb_only(path.read_text(encoding="utf-8")) == []


def test_the_check_finds_duckdb_only_constructs_but_not_in_macros_comments_or_strings():
    model = """
    -- quantile_cont(x, 0.5) in a comment is fine
    select
        {{ quantile_cont('vaerdi', 0.5) }} as median,
        'epoch(x) in a string' as tekst,
        quantile_cont(vaerdi, 0.25) as p25,
        cast(x as varchar) as y,
        * exclude (a)
    from t where (a, b) in (select (a, b) from u)
    """
    found = duckdb_only(model)
    assert [f.split(":")[0] for f in found] == ["line 6", "line 8", "line 7", "line 9"], found
    assert "quantile_cont (the macro)" in found[0]


def dispatched_macros() -> dict[str, set[str]]:
    """Each macro that dispatches (adapter.dispatch(name, 'kkm2')) -> the adapters it has an implementation for."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in MACROS)
    names = set(re.findall(r"adapter\.dispatch\(\s*'(\w+)'\s*,\s*'kkm2'\s*\)", text))
    defined = set(re.findall(r"\{%-?\s*macro\s+(\w+)\s*\(", text))
    return {n: {a for a in ("default", "duckdb", "spark") if f"{a}__{n}" in defined} for n in names}


def test_every_dispatched_macro_has_a_duckdb_and_a_spark_implementation():
    macros = dispatched_macros()
    assert len(macros) >= 10, macros
    missing = {
        n: impl for n, impl in macros.items() if "spark" not in impl or not impl & {"default", "duckdb"}
    }
    assert missing == {}
