"""Gates 2 and 3 on a real pipeline (Dagster in-process, dbt, GX): what is held back, what still flows, the
reason stored, the Data Docs page written; a tampered mart blocks publication."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from conftest import query as q
from conftest import tree_digest

from pipeline.ingest import discover, ingest_submission
from pipeline.run import run
from pipeline.settings import Home, activate, connect


@pytest.fixture(scope="module")
def gated(tmp_path_factory):
    from pipeline.demo_data import generate

    home = Home(tmp_path_factory.mktemp("gates")).ensure()
    generate(home.landing, kommuner=2, aar=[2024], seed=5, bygninger_pr_kommune=6, reference=home.reference)
    report = run(home)
    assert report.success, report
    return home


def standalone_buildings_file(home: Home) -> tuple[str, Path]:
    for k in sorted(p.name for p in home.landing.iterdir()):
        files = list((home.landing / k / "2024").glob("bygninger*"))
        if files:
            return k, files[0]
    pytest.fail("no municipality with its own bygninger file in the demo data")


def write_buildings(home: Home, k: str, old: Path, rows: list[dict]) -> None:
    old.unlink()
    path = home.landing / k / "2024" / "bygninger.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), delimiter=";")
        w.writeheader()
        w.writerows(rows)


def active_buildings(home: Home, k: str) -> list[dict]:
    con = connect(home.warehouse, read_only=True)
    try:
        df = con.execute(
            "SELECT bygning_id, navn, anvendelseskode, bruttodriftsareal_m2, ejerforhold FROM raw.bygninger "
            "WHERE (kommunekode, aar, version) IN (SELECT (kommunekode, aar, version) FROM audit.active_submissions) "
            "AND kommunekode = ? ORDER BY bygning_id",
            [k],
        ).df()
    finally:
        con.close()
    return df.to_dict("records")


def test_every_gate_check_evaluated_rows_and_its_evidence_is_published(gated):
    home = gated
    rows = q(home.warehouse, "SELECT gate, kontrol, kommunekode, status, evalueret FROM audit.gate_results")
    assert {(g, c) for g, c, *_ in rows} >= {
        ("2", "maalere_med_huller"),
        ("3", "afstemning"),
        ("3", "graenser"),
        ("3", "undertrykkelse"),
    }
    assert all(n > 0 for *_, n in rows), rows  # GX evaluated something in every check
    release = home.current.resolve()
    for k in {r[2] for r in rows}:
        assert (release / "quality" / k / "index.html").exists(), k
    pages = [p.read_text(encoding="utf-8") for p in (release / "quality").rglob("*.html")]
    assert any("gate3_graenser" in p for p in pages)
    status = q(
        home.current / "warehouse.duckdb",
        "SELECT DISTINCT gate2_advarsler, gate3_fejl FROM mart_indberetning_status WHERE version IS NOT NULL",
    )
    assert all(g3 == 0 for _, g3 in status)


def test_gx_evaluating_nothing_fails_loudly(tmp_path):
    """The known failure mode (GX returns no metrics) must never pass as a clean result."""
    from pipeline.quality.gates import DocsWriter, GxEvaluatedNothing
    from pipeline.quality.gx_gate import _gx

    gx, _ = _gx()
    docs = DocsWriter(tmp_path / "q")
    df = pd.DataFrame({"a": [1, 2, 3]})
    ok = docs.validate(
        "0101", "probe_ok", df, [gx.expectations.ExpectColumnValuesToBeBetween(column="a", min_value=0)]
    )
    assert ok[0]["success"] and ok[0]["evaluated"] == 3
    with pytest.raises(GxEvaluatedNothing):
        docs.validate(
            "0101",
            "probe_nothing",
            df,
            [gx.expectations.ExpectColumnValuesToBeBetween(column="findes_ikke", min_value=0)],
        )
    docs.finish()  # the Data Docs are rendered once, at the end, and name what was validated
    assert "probe_ok" in (tmp_path / "q" / "0101" / "index.html").read_text(encoding="utf-8")
    assert (tmp_path / "q" / "static").is_dir() and (tmp_path / "q" / "0101" / "static").is_symlink()


def test_gate3_holds_back_one_municipality_out_of_bounds_and_the_others_flow(gated):
    home = gated
    k, old_file = standalone_buildings_file(home)
    v1 = q(home.warehouse, "SELECT max(version) FROM audit.submissions WHERE kommunekode = ?", [k])[0][0]
    figures = dict(
        q(
            home.current / "warehouse.duckdb",
            "SELECT bygning_id, el_kwh_pr_m2 FROM mart_noegletal_bygning WHERE kommunekode = ? AND el_kwh_pr_m2 IS NOT NULL",
            [k],
        )
    )
    rows = active_buildings(home, k)
    target = min((r for r in rows if r["bygning_id"] in figures), key=lambda r: r["bruttodriftsareal_m2"])
    target["bruttodriftsareal_m2"] = 1  # the same consumption on 1 m²: far above the catalogue's bound
    write_buildings(home, k, old_file, rows)
    other = next(
        c for c in q(home.warehouse, "SELECT DISTINCT kommunekode FROM audit.submissions") if c[0] != k
    )[0]
    before_other = q(
        home.current / "warehouse.duckdb",
        "SELECT sum(hash(bygning_id, el_kwh_pr_m2)) FROM mart_noegletal_bygning WHERE kommunekode = ?",
        [other],
    )

    report = run(home)
    assert report.success, report
    v2 = v1 + 1
    assert q(
        home.warehouse, "SELECT status FROM audit.submissions WHERE kommunekode = ? AND version = ?", [k, v2]
    ) == [("holdt_tilbage",)]
    [(besked,)] = q(
        home.warehouse,
        "SELECT besked FROM audit.findings WHERE kommunekode = ? AND version = ? AND regel = 'gate3_graenser'",
        [k, v2],
    )
    assert "el_kwh_pr_m2" in besked and "tilladt" in besked
    # the gate results say which version each check saw: the failing bounds check v2, the rebuild's v1
    bounds = q(
        home.warehouse,
        "SELECT status, version FROM audit.gate_results WHERE kommunekode = ? AND kontrol = 'graenser' "
        "AND koersel = (SELECT arg_max(koersel, tid) FROM audit.gate_results)",
        [k],
    )
    assert {v for s, v in bounds if s != "ok"} == {v2} and {v for s, v in bounds if s == "ok"} == {v1}, bounds
    # the release carries the previous version of that municipality, and the other municipality unchanged
    release = home.current / "warehouse.duckdb"
    assert q(release, "SELECT DISTINCT indberetning_version FROM dim_bygning WHERE kommunekode = ?", [k]) == [
        (v1,)
    ]
    assert (
        q(release, "SELECT max(el_kwh_pr_m2) FROM mart_noegletal_bygning WHERE kommunekode = ?", [k])[0][0]
        <= 2000
    )
    assert (
        q(
            release,
            "SELECT sum(hash(bygning_id, el_kwh_pr_m2)) FROM mart_noegletal_bygning WHERE kommunekode = ?",
            [other],
        )
        == before_other
    )
    status = q(
        release,
        "SELECT DISTINCT status, gate3_fejl, kvalitet_besked FROM mart_indberetning_status WHERE kommunekode = ? AND dataset = 'bygninger'",
        [k],
    )
    assert status[0][0] == "holdt_tilbage" and status[0][1] >= 1 and "grænser" in status[0][2]
    feedback = (home.current / "kommuner" / k / "tilbagemelding_2024.html").read_text(encoding="utf-8")
    assert "el_kwh_pr_m2" in feedback


def test_a_tampered_mart_blocks_publication_and_leaves_the_current_release_byte_identical(gated):
    from dagster import AssetKey, DagsterInstance

    from pipeline.definitions import defs

    home = gated
    current = home.current.resolve()
    before = tree_digest(current)
    releases_before = sorted(p.name for p in home.releases.iterdir())
    con = connect(home.warehouse)
    try:  # a suppressed group made visible: a national failure, nobody's submission to hold back
        con.execute(
            "UPDATE marts.mart_benchmark SET undertrykt = false, median = 42 WHERE (aar, sektor, noegletal, "
            "sammenligningsgruppe) IN (SELECT (aar, sektor, noegletal, sammenligningsgruppe) FROM marts.mart_benchmark "
            "WHERE undertrykt LIMIT 1)"
        )
        assert (
            con.execute(
                "SELECT count(*) FROM marts.mart_benchmark WHERE n_kommuner < 3 AND NOT undertrykt"
            ).fetchall()[0][0]
            == 1
        )
    finally:
        con.close()
    activate(home)
    job = defs.resolve_job_def("build")
    res = job.execute_in_process(
        instance=DagsterInstance.get(),
        raise_on_error=False,
        asset_selection=[AssetKey(["quality", "gates"]), AssetKey(["release", "current"])],
    )
    [check] = [e for e in res.get_asset_check_evaluations() if e.check_name == "gate3_udgivelse"]
    assert not check.passed
    assert "gruppestatistik" in check.description
    assert Path(check.metadata["data_docs"].value) == home.current / "quality" / "nationalt" / "index.html"
    assert Path(check.metadata["data_docs"].value).is_file()
    assert not [
        e for e in res.get_asset_materialization_events() if e.asset_key == AssetKey(["release", "current"])
    ]
    assert home.current.resolve() == current
    assert tree_digest(current) == before
    assert sorted(p.name for p in home.releases.iterdir()) == releases_before


def test_gate2_volume_drop_waits_for_the_steward(gated, capsys):
    from pipeline.cli import main

    home = gated
    k = sorted(p.name for p in home.landing.iterdir())[-1]
    rows = active_buildings(home, k)
    [bygninger] = (home.landing / k / "2024").glob("bygninger*")  # the demo's buildings: one file
    write_buildings(home, k, bygninger, rows[: len(rows) // 2])  # half the buildings vanish
    con = connect(home.warehouse)
    try:
        active_before = con.execute(
            "SELECT version FROM audit.active_submissions WHERE kommunekode = ?", [k]
        ).fetchall()
        subs, _ = discover(home.landing)
        r = ingest_submission(con, home, subs[(k, 2024)])
        assert r.status == "afventer_godkendelse"
        assert (
            con.execute("SELECT version FROM audit.active_submissions WHERE kommunekode = ?", [k]).fetchall()
            == active_before
        )
        [(besked,)] = con.execute(
            "SELECT besked FROM audit.findings WHERE kommunekode = ? AND version = ? AND regel = 'gate2_fald_i_omfang'",
            [k, r.version],
        ).fetchall()
        assert "15 %" in besked and "kkm2 accept" in besked
    finally:
        con.close()
    # the steward accepts from Dagster (the job `accepter`), the same function as `kkm2 accept`
    from dagster import DagsterInstance

    from pipeline.definitions import defs

    activate(home)
    res = defs.resolve_job_def("accepter").execute_in_process(
        instance=DagsterInstance.get(),
        run_config={
            "ops": {
                "accept_pending_version": {
                    "config": {"kommunekode": k, "aar": 2024, "begrundelse": "skoler lukket 1. august"}
                }
            }
        },
    )
    assert res.success
    assert q(home.warehouse, "SELECT version FROM audit.active_submissions WHERE kommunekode = ?", [k]) == [
        (r.version,)
    ]
    log = q(
        home.warehouse,
        "SELECT handling, begrundelse, bruger FROM audit.steward_log WHERE handling = 'accepter'",
    )
    assert [(h, b) for h, b, _ in log] == [("accepter", "skoler lukket 1. august")]
    assert log[0][2].startswith("dagster (")
    assert main(["accept", k, "2024", "--reason", "igen", "--home", str(home.root)]) == 1
    assert "ingen version, der venter" in capsys.readouterr().err


def test_identical_validations_are_taken_from_the_previous_release_and_changed_ones_run(tmp_path):
    from pipeline.quality.gates import DocsWriter
    from pipeline.quality.gx_gate import _gx

    gx, _ = _gx()

    def exps():
        return [gx.expectations.ExpectColumnValuesToBeBetween(column="a", min_value=0, max_value=10)]

    same, bad = pd.DataFrame({"a": [1, 2, 3]}), pd.DataFrame({"a": [1, 20]})
    first = DocsWriter(tmp_path / "r1")
    r_same = first.validate("0101", "probe", same, exps())
    r_bad = first.validate("0147", "probe", bad, exps())
    first.finish()
    assert first.fresh == 2 and not r_bad[0]["success"]

    second = DocsWriter(tmp_path / "r2", previous=tmp_path / "r1")
    assert second.validate("0101", "probe", same, exps()) == r_same  # same input: not validated again
    assert second.validate("0147", "probe", bad, exps()) == r_bad  # a failure stays a failure
    changed = second.validate("0161", "probe", pd.DataFrame({"a": [1, 2, 4]}), exps())
    second.finish()
    assert second.fresh == 1 and changed[0]["success"]
    for k in ("0101", "0147", "0161"):  # every folder has its Data Docs, sharing one static folder
        assert "probe" in (tmp_path / "r2" / k / "index.html").read_text(encoding="utf-8")
        assert (tmp_path / "r2" / k / "static").is_symlink()
    assert (tmp_path / "r2" / "0101" / "static" / "styles").exists()

    third = DocsWriter(tmp_path / "r3", previous=tmp_path / "r2")  # nothing changed: no GX at all
    third.validate("0101", "probe", same, exps())
    third.finish()
    assert third.fresh == 0 and (tmp_path / "r3" / "static").is_dir()
    assert (tmp_path / "r3" / "0101" / "index.html").exists()


def test_what_holds_a_version_back_in_each_round_of_gate_3():
    from pipeline.quality.gates import NATIONAL, CheckResult, to_hold_back

    def result(gate, k, status):
        return CheckResult(gate, "kontrol", k, 2024, status, 10, int(status != "ok"), "besked")

    own3 = result("3", "0101", "fejl")
    national3 = result("3", NATIONAL, "fejl")
    ok3 = result("3", "0147", "ok")
    broken2 = result("2", "0151", "fejl")  # gate 2 could not run for 0151
    warning2 = result("2", "0153", "advarsel")  # gate 2 only warns
    r3, r2 = [own3, national3, ok3], [broken2, warning2]
    assert to_hold_back(r3, r2, first_round=True) == [own3, broken2]
    assert to_hold_back(r3, r2, first_round=False) == [own3]
    assert to_hold_back([national3, ok3], [warning2], first_round=True) == []
