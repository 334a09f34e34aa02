"""Gate 1's second half: Great Expectations re-checks the rows the validator accepted, with suites
generated from the contract (committed under `expectations/suites/`). It must find nothing; a finding
means the validator missed something and holds the submission version back.

GX runs its SQL execution engine on the sandbox's own DuckDB connection (duckdb-engine's SQLAlchemy dialect):
its metrics are queries in DuckDB over all accepted rows, and only their results and up to 20 example values
per expectation reach Python (before, every accepted row went through Arrow into pandas). Two things make that work (`_SandboxConnection`):
SQLAlchemy must reach that very connection (the accepted rows are temp views, visible to it alone), and GX 1.x
fetches a query's rows after closing the SQLAlchemy connection it ran on, which ends SQLAlchemy's implicit
transaction with a rollback that makes DuckDB drop the pending result: every metric came back empty. A result
in which GX did not evaluate every accepted row for every expectation raises `GxEvaluatedNothing`; it is never
a pass. GX is imported once per process (the import is slow)."""

from __future__ import annotations

import json
import logging
import os
from functools import cache

from pipeline.contract.datasets import DATASETS
from pipeline.settings import EXPECTATIONS_DIR

SUITES_DIR = EXPECTATIONS_DIR / "suites"  # written by pipeline/generate/gx_suites.py


@cache
def _gx_module():
    """Import GX once per process (about 9 s), quiet."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("TQDM_DISABLE", "1")  # GX's metric progress bars
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx

    return gx


def pandas_batch_definition(asset: str):
    """A fresh ephemeral GX context (8 ms) without progress bars, and a whole-dataframe batch definition."""
    gx = _gx_module()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return ctx, ctx.data_sources.add_pandas("kkm2").add_dataframe_asset(
        asset
    ).add_batch_definition_whole_dataframe("hele")


@cache
def _gx():
    """GX and a whole-dataframe pandas batch definition (for probes; gate 1 itself uses `sql_batch`)."""
    return _gx_module(), pandas_batch_definition("accepted_rows")[1]


@cache
def load_suite(name: str):
    gx, _ = _gx()
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    data = _suite_data(name)
    suite = gx.ExpectationSuite(name=data["name"])
    for e in data["expectations"]:
        suite.add_expectation_configuration(ExpectationConfiguration(type=e["type"], kwargs=e["kwargs"]))
    return suite


def suite_columns(dataset: str) -> list[str]:
    """The columns the dataset's committed suite looks at, in contract order."""
    used = {e["kwargs"]["column"] for e in _suite_data(dataset)["expectations"]}
    return [c for c in DATASETS[dataset].column_names if c in used]


@cache
def _sandbox_connection_type():
    from duckdb_engine import ConnectionWrapper

    class _SandboxConnection(ConnectionWrapper):
        """The DB-API connection GX's SQLAlchemy engine is given: the caller's DuckDB connection, which
        SQLAlchemy must neither close nor roll back. DuckDB runs each statement in a transaction of its own
        (autocommit), and GX only reads here (no temp tables), so there is no transaction to end; a rollback
        would drop the result GX has not fetched yet."""

        def begin(self) -> None:
            pass

        def commit(self) -> None:
            pass

        def rollback(self) -> None:
            pass

        def close(self) -> None:
            pass

    return _SandboxConnection


def sql_batch(con, table: str):
    """A GX batch over all rows of `table`, evaluated by GX's SQL execution engine on `con` itself (a fresh
    ephemeral context, 10 ms)."""
    gx = _gx_module()
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.pool import StaticPool

    wrapper = _sandbox_connection_type()
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    # An ephemeral context keeps nothing, yet serialises its whole configuration to YAML on each of the three
    # additions below (two thirds of this function's time); nothing reads it back.
    ctx._save_project_config = lambda *args, **kwargs: None
    source = ctx.data_sources.add_sql(
        "sandkasse",
        connection_string="duckdb:///:memory:",  # the dialect only: `creator` gives the connection
        create_temp_table=False,
        kwargs={"creator": lambda: wrapper(con), "poolclass": StaticPool},
    )
    asset = source.add_query_asset("accepted_rows", query=f"SELECT * FROM {table}")
    batch = asset.add_batch_definition_whole_table("hele").get_batch()
    # GX knows no DuckDB dialect and then has no SQL for a regex ("Regex is not supported for dialect
    # duckdb"). duckdb-engine's dialect is PostgreSQL's, and DuckDB's `~` is PostgreSQL's (a match anywhere in
    # the text, as in GX's pandas engine; the contract's patterns are anchored): GX's PostgreSQL SQL it is.
    batch.data.execution_engine.dialect_module = postgresql
    return batch


def _evaluated_everything(result, suite, rows: int) -> None:
    """GX must have evaluated every expectation of the suite on all `rows` rows; anything less (an empty
    metric, an exception inside GX) raises instead of passing or failing as a finding."""
    from pipeline.quality.gates import GxEvaluatedNothing

    wrong = [
        (
            r.expectation_config.type,
            r.expectation_config.kwargs.get("column"),
            (r.result or {}).get("element_count"),
        )
        for r in result.results
        if (r.exception_info or {}).get("raised_exception") or (r.result or {}).get("element_count") != rows
    ]
    if wrong or len(result.results) != len(suite.expectations):
        raise GxEvaluatedNothing(
            f"GX did not evaluate all {rows} accepted rows of suite {suite.name}: "
            f"{len(result.results)} of {len(suite.expectations)} results, not evaluated: {wrong[:5]}"
        )


def _suite_data(name: str) -> dict:
    return json.loads((SUITES_DIR / f"{name}.json").read_text(encoding="utf-8"))


# Element and unexpected counts without example values: GX's query for the examples of each expectation (LIMIT
# 20) reads every row when there are none, 11 extra passes over a forbrug view; with 0 DuckDB reads nothing.
COUNTS_ONLY = {"result_format": "BASIC", "partial_unexpected_count": 0}


def check_accepted(con, dataset: str, table: str) -> dict:
    """Validate the accepted rows in `table` (the validator's view) with the dataset's committed suite: GX's
    SQL engine on `con`, the sandbox's own connection. GX's queries read the view itself (a copy into a temp
    table first was slower: the view over the typed rows is cheap to read again). The row count is taken
    apart from GX, and GX must have evaluated every expectation on exactly that many rows. Clean rows (the
    normal case) cost one pass for that count and one per GX metric bundle; example values only on findings.
    Returns {"success": bool, "rows": n, "failures": [{expectation, column, unexpected_count, eksempler}]}."""
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    if rows == 0:
        return {"success": True, "rows": 0, "expectations": [], "failures": []}
    suite = load_suite(dataset)
    batch = sql_batch(con, table)
    result = batch.validate(suite, result_format=COUNTS_ONLY)
    _evaluated_everything(result, suite, rows)
    if not result.success:  # GX found something: again with examples (the counts come from GX's cache)
        result = batch.validate(suite, result_format="BASIC")
        _evaluated_everything(result, suite, rows)
    return summarise(result, rows)


def summarise(result, rows: int) -> dict:
    """What gate 1 keeps of a GX result: success, the rows evaluated, what each expectation evaluated and
    found (the evidence the Dagster check shows) and each failed expectation with examples."""
    expectations = [
        {
            "expectation": r.expectation_config.type,
            "column": r.expectation_config.kwargs.get("column"),
            "evaluated": (r.result or {}).get("element_count"),
            "unexpected": (r.result or {}).get("unexpected_count") or 0,
        }
        for r in result.results
    ]
    failures = [
        {
            "expectation": r.expectation_config.type,
            "column": r.expectation_config.kwargs.get("column"),
            "unexpected_count": (r.result or {}).get("unexpected_count"),
            "eksempler": [str(v) for v in ((r.result or {}).get("partial_unexpected_list") or [])[:5]],
        }
        for r in result.results
        if not r.success
    ]
    return {"success": bool(result.success), "rows": rows, "expectations": expectations, "failures": failures}
