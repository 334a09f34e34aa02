"""Gate 1's declared rules and how they are compiled: the registry, one finding per rule a row breaks, and the
overlap check's fast path for a series on a grid, which must say exactly what the window over every period says."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st
from test_validator import BYGNINGER, errors, validate

from pipeline.contract.datasets import DATASETS
from pipeline.validation.rules import REGISTRY, catalogue, fill, forbrug
from pipeline.validation.rules.files import FILE_CHECKS

PACKAGE = Path(__file__).resolve().parents[1] / "pipeline" / "validation"


def test_every_dataset_has_its_rules_in_the_registry_and_no_rule_is_found_by_name():
    assert set(REGISTRY) == set(DATASETS)
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = [
            n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "getattr"
        ]
        assert not calls, f"{path.name}: getattr"
    codes = {code for name in DATASETS for code, *_ in catalogue(name)} | {c.code for c in FILE_CHECKS}
    text = (Path(__file__).resolve().parents[1] / "docs" / "informationsmodel.md").read_text(encoding="utf-8")
    missing = sorted(c for c in codes if f"`{c}`" not in text)
    assert not missing, f"docs/informationsmodel.md mangler reglerne {missing} (kør kkm2 generate)"


def test_a_row_that_breaks_several_rules_gets_a_finding_for_each(mem, tmp_path):
    rows = BYGNINGER + "B3;Børnehus;421;-5;leaset;2090\n"
    result, findings = validate(
        mem, tmp_path, {"bygninger.csv": rows.replace("ejerforhold\n", "ejerforhold;opfoerelsesaar\n", 1)}
    )
    mine = sorted((f["kolonne"], f["regel"]) for f in findings if f["raekke"] == 4)
    assert mine == [
        ("bruttodriftsareal_m2", "uden_for_regel"),
        ("ejerforhold", "ugyldig_vaerdi"),
        ("opfoerelsesaar", "aar_efter_indberetning"),
    ]
    assert result.counts["bygninger"].rejected == 1 and result.counts["bygninger"].accepted == 2
    reasons = mem.execute("SELECT aarsager FROM rej_bygninger").fetchall()[0][0]
    assert reasons.count(" | ") == len([f for f in errors(findings) if f["raekke"] == 4]) - 1


WINDOW = """
    SELECT _fil, _row FROM (
        SELECT _fil, _row, fra_tid, til_tid,
               max(til_tid) OVER (PARTITION BY maaler_id ORDER BY fra_tid, _fil, _row
                                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_max_til,
               lead(fra_tid) OVER (PARTITION BY maaler_id ORDER BY fra_tid, _fil, _row) AS next_fra
        FROM t WHERE fra_tid < til_tid)
    WHERE fra_tid < prev_max_til OR next_fra < til_tid
"""
START = datetime(2024, 1, 1, tzinfo=UTC)
series = st.lists(
    st.tuples(
        st.sampled_from(["m1", "m2", "m3"]),
        st.integers(min_value=0, max_value=40),  # start, in steps
        st.sampled_from([1, 1, 1, 2, 3]),  # length, in steps (mostly one: a grid)
        st.sampled_from([0, 0, 0, 0, 7]),  # an offset in minutes off the grid, now and then
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(rows=series, step=st.sampled_from([10, 60, 1440]))
def test_the_overlap_fast_path_for_a_series_on_a_grid_agrees_with_the_window(rows, step):
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Europe/Copenhagen'")
    con.execute("""CREATE TABLE t (_fil VARCHAR, _row BIGINT, _skip VARCHAR, maaler_id VARCHAR,
                   maaletype_r VARCHAR, fra_tid TIMESTAMPTZ, til_tid TIMESTAMPTZ)""")
    for i, (m, s, n, off) in enumerate(rows):
        fra = START + timedelta(minutes=s * step + off)
        con.execute(
            "INSERT INTO t VALUES ('f.csv', ?, NULL, ?, 'forbrug', ?, ?)",
            [i + 2, m, fra, fra + timedelta(minutes=n * step)],
        )
    ctx = {
        "c": "(SELECT * FROM t)",
        "t": "t",
        "aar": "2024",
        "aar_fem": "2019",
        "aar_start": "NULL",
        "aar_slut": "NULL",
        "felt_tegn": "0",
        "felt_tegn_da": "'0'",
    }
    fast = con.execute(f"SELECT _row FROM ({fill(forbrug.OVERLAPS, ctx)}) ORDER BY 1").fetchall()
    slow = con.execute(f"SELECT _row FROM ({WINDOW}) ORDER BY 1").fetchall()
    assert fast == slow
