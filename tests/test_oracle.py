"""The oracle (tests/oracle, issue 17): an independent recomputation of every building figure and
municipality aggregate from the submitted files, compared value by value with the published marts after a
real `kkm2 run`. On generated submissions (hypothesis; derandomised, a few examples here, more with
KKM2_ORACLE_EKSEMPLER, as `make fuzz` does) and on the demo warehouse.

A disagreement means the SQL or the oracle is wrong, or the spec is unclear: the failure lists every one,
grouped by figure (building, oracle, SQL, what is special about the building)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from conftest import query
from hypothesis import HealthCheck, Phase, given, settings
from oracle import generator as G
from oracle import oracle as O

from pipeline.run import run
from pipeline.settings import Home

EXAMPLES = int(os.environ.get("KKM2_ORACLE_EKSEMPLER", "2"))
# KKM2_ORACLE_HJEM=<folder>: keep each example's kkm2 home there (eksempel_1, ...) to look into afterwards
KEEP = os.environ.get("KKM2_ORACLE_HJEM")
FIGURES_PER_BUILDING = len(O.BUILDING_FIGURES)


def _compare(home: Home, notes: dict, title: str) -> tuple[list, int, int, str]:
    result = O.compute(home.root)
    sql_b, sql_k = O.published(home.current / "warehouse.duckdb")
    disagreements, compared = O.compare(result, sql_b, sql_k, notes)
    non_null = int(
        result.buildings[[c for c in O.BUILDING_FIGURES if c in result.buildings]].notna().sum().sum()
    )
    status = query(
        home.warehouse,
        "SELECT kommunekode, aar, dataset, status FROM marts.mart_indberetning_status "
        "WHERE status NOT IN ('godkendt', 'mangler', 'delvist_godkendt') ORDER BY ALL",
    )
    text = O.report(disagreements, compared, f"{title}\n   home: {home.root}")
    if status:
        text += f"\n   submissions not published in full: {status}"
    return disagreements, compared, non_null, text


def test_the_oracle_agrees_with_the_marts_on_generated_submissions(tmp_path_factory):
    runs = []

    @settings(
        derandomize=True,
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: each example is a whole kkm2 run
        suppress_health_check=list(HealthCheck),
    )
    @given(G.cases())
    def one_example(case):
        if KEEP:
            root = Path(KEEP) / f"eksempel_{len(runs) + 1}"
            shutil.rmtree(root, ignore_errors=True)
            home = Home(root).ensure()
        else:
            home = Home(tmp_path_factory.mktemp("oracle")).ensure()
        G.write_case(case, home)
        report = run(home)
        assert report.success, f"kkm2 run failed on {case.summary}: {report}"
        runs.append((case, home))

    one_example()
    assert len(runs) >= min(EXAMPLES, 2), runs
    texts, failed = [], 0
    for i, (case, home) in enumerate(runs, 1):
        disagreements, compared, non_null, text = _compare(home, case.notes(), f"example {i}: {case.summary}")
        n_buildings = sum(len(k.files["bygninger.csv"]) for k in case.kommuner)
        # never a pass by comparing nothing: every building's every figure, and most of them not null
        assert compared >= n_buildings * FIGURES_PER_BUILDING, text
        assert non_null >= n_buildings * FIGURES_PER_BUILDING // 2, text
        failed += bool(disagreements)
        texts.append(text)
    print("\n\n".join(texts))
    assert not failed, "\n\n".join(texts)


def test_the_oracle_agrees_with_the_demo_warehouse(demo_home):
    home, _ = demo_home
    disagreements, compared, non_null, text = _compare(home, {}, "demo")
    assert compared >= 3 * 2 * 8 * FIGURES_PER_BUILDING, text
    assert non_null >= 3 * 2 * 8 * FIGURES_PER_BUILDING * 2 // 3, text
    assert not disagreements, text
