"""Both cores busy (issue 18, item 4): while one submission is written to the warehouse, the next is prepared
(archived, validated, GX) on its own sandbox in a second thread; the warehouse keeps one writer. In-process,
on a real DuckDB warehouse and real sandboxes."""

from __future__ import annotations

import os
import time

import pytest

from pipeline.ingest import Prepared, commit_submission, discover, ingest_submission, prepared_ahead
from pipeline.settings import Home, connect


def _landing(home: Home, kommuner: list[str]) -> None:
    hour_ago = time.time() - 3600
    for i, k in enumerate(kommuner):
        folder = home.landing / k / "2024"
        folder.mkdir(parents=True)
        files = {
            "bygninger.csv": "bygning_id;navn;anvendelseskode;bruttodriftsareal_m2;ejerforhold\n"
            f"B1;Skole;421;{1000 + i};ejet\nB2;Hal;531;-5;ejet\n",
            "maalere.csv": "maaler_id;bygning_id;forsyningsart\nM1;B1;el\n",
        }
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
            os.utime(folder / name, (hour_ago, hour_ago))


def _sandboxes(home: Home) -> list[str]:
    return sorted(p.name for p in home.tmp.glob("sandkasse_*"))


def _audit(con) -> list[tuple]:
    return con.execute(
        "SELECT s.kommunekode, s.aar, s.version, s.status, d.dataset, d.raekker_modtaget, d.raekker_accepteret, "
        "d.raekker_afvist "
        "FROM audit.submissions s JOIN audit.submission_datasets d USING (kommunekode, aar, version) "
        "ORDER BY ALL"
    ).fetchall()


KOMMUNER = ["0101", "0147", "0151"]


@pytest.fixture
def home_con(tmp_path):
    home = Home(tmp_path / "home").ensure()
    _landing(home, KOMMUNER)
    con = connect(home.warehouse)
    yield home, con
    con.close()


def test_the_next_submission_is_prepared_while_the_caller_holds_this_one(home_con):
    home, con = home_con
    subs, _ = discover(home.landing)
    queue = [subs[(k, 2024)] for k in KOMMUNER]
    stream = prepared_ahead(con, home, queue, [])
    sub, future = next(stream)
    first = future.result()
    assert isinstance(first, Prepared) and sub.kommunekode == "0101"
    # without asking for the second, its sandbox appears: it is being prepared in the other thread
    deadline = time.time() + 60
    while not any(n.startswith("sandkasse_0147_") for n in _sandboxes(home)) and time.time() < deadline:
        time.sleep(0.01)
    assert any(n.startswith("sandkasse_0147_") for n in _sandboxes(home))
    assert not any(n.startswith("sandkasse_0151_") for n in _sandboxes(home)), "only one ahead"
    results = [commit_submission(con, first)]
    for _sub, future in stream:
        prepared = future.result()
        results.append(commit_submission(con, prepared))
    assert [r.kommunekode for r in results] == KOMMUNER
    assert [r.status for r in results] == ["godkendt"] * 3
    assert _sandboxes(home) == []


def test_pipelined_writes_what_one_at_a_time_writes(home_con, tmp_path):
    home, con = home_con
    subs, _ = discover(home.landing)
    for _sub, future in prepared_ahead(con, home, [subs[(k, 2024)] for k in KOMMUNER], []):
        commit_submission(con, future.result())
    other = Home(tmp_path / "other").ensure()
    _landing(other, KOMMUNER)
    ocon = connect(other.warehouse)
    try:
        osubs, _ = discover(other.landing)
        for k in KOMMUNER:
            ingest_submission(ocon, other, osubs[(k, 2024)])
        assert _audit(con) == _audit(ocon)
        bygninger = [r for r in _audit(con) if r[4] == "bygninger"]
        assert bygninger == [(k, 2024, 1, "godkendt", "bygninger", 2, 1, 1) for k in KOMMUNER]
        q = "SELECT kommunekode, bygning_id, bruttodriftsareal_m2 FROM raw.bygninger ORDER BY ALL"
        assert con.execute(q).fetchall() == ocon.execute(q).fetchall()
        q = "SELECT kommunekode, regel, raekke, kolonne, vaerdi, besked FROM audit.findings ORDER BY ALL"
        assert con.execute(q).fetchall() == ocon.execute(q).fetchall()
        assert con.execute(q).fetchall(), "the negative area is a finding"
    finally:
        ocon.close()


def test_a_caller_that_stops_early_leaves_no_sandbox_open(home_con):
    home, con = home_con
    subs, _ = discover(home.landing)
    stream = prepared_ahead(con, home, [subs[(k, 2024)] for k in KOMMUNER], [])
    sub, future = next(stream)
    commit_submission(con, future.result())
    stream.close()  # the run stopped: the one prepared ahead is closed, the third never started
    assert _sandboxes(home) == []
    assert [r[0] for r in con.execute("SELECT kommunekode FROM audit.submissions").fetchall()] == ["0101"]


def test_a_failed_preparation_is_that_submissions_only(home_con, monkeypatch):
    home, con = home_con
    monkeypatch.setenv("KKM2_FEJL", "validering:0147")
    subs, _ = discover(home.landing)
    outcomes = {}
    for sub, future in prepared_ahead(con, home, [subs[(k, 2024)] for k in KOMMUNER], []):
        try:
            outcomes[sub.kommunekode] = commit_submission(con, future.result()).status
        except Exception as e:  # noqa: BLE001 - the caller (ingest_assets) holds that one back
            outcomes[sub.kommunekode] = type(e).__name__
    assert outcomes == {"0101": "godkendt", "0147": "InjectedFault", "0151": "godkendt"}
    assert _sandboxes(home) == []


def test_a_submission_the_caller_never_wrote_leaves_no_sandbox(home_con):
    home, con = home_con
    subs, _ = discover(home.landing)
    written = []
    for sub, future in prepared_ahead(con, home, [subs[(k, 2024)] for k in KOMMUNER], []):
        if sub.kommunekode == "0147":
            continue  # the caller failed before it looked at this one's preparation
        written.append(commit_submission(con, future.result()).kommunekode)
    assert written == ["0101", "0151"]
    assert _sandboxes(home) == []


def test_a_caller_that_stops_while_holding_one_leaves_no_sandbox(home_con):
    home, con = home_con
    subs, _ = discover(home.landing)
    stream = prepared_ahead(con, home, [subs[(k, 2024)] for k in KOMMUNER], [])
    sub, future = next(stream)
    assert isinstance(future.result(), Prepared) and sub.kommunekode == "0101"
    stream.close()  # stopped (interrupted) before writing the one it held
    assert _sandboxes(home) == []
    assert con.execute("SELECT count(*) FROM audit.submissions").fetchone()[0] == 0
