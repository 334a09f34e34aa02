"""The status snapshot's findings and gate results (issue 21): the same findings as audit.findings for a
version, capped per rule and severity with the rest counted, the newest gate run per municipality-year; and
`kkm2 serve` answers GET …/indberetninger/{kommunekode}/{aar} from the snapshot alone, over a real server on
loopback, no mocks."""

from __future__ import annotations

import os
import re

import pytest
from test_service import AAR, Server
from test_service_pages import login, raw

from pipeline.quality.gates import CheckResult, record
from pipeline.service import sessions, tokens
from pipeline.settings import Home, connect
from pipeline.status import (
    FINDING_COUNTS,
    FINDINGS,
    FINDINGS_PER_RULE,
    GATES,
    LINK,
    SNAPSHOT,
    read_snapshot,
    read_submission,
    status_dir,
    write_snapshot,
)
from pipeline.validation.core import FINDING_COLUMNS, WARNING, Findings
from pipeline.warehouse import ensure_schema

COLUMNS = [c.strip() for c in FINDING_COLUMNS.split(",")]
MANY = FINDINGS_PER_RULE + 57  # findings of one rule in 0101's newest version: 57 are left out


def as_rows(findings: list[dict]) -> list[tuple]:
    return sorted((tuple(f[c] for c in COLUMNS) for f in findings), key=repr)


def test_the_snapshot_holds_the_same_findings_as_the_warehouse(demo_home):
    home, _ = demo_home
    con = connect(home.warehouse, read_only=True)
    try:
        versions = con.execute(
            "SELECT kommunekode, aar, max(version) FROM audit.submissions GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        live = {
            v: as_rows(
                [
                    dict(zip(COLUMNS, r, strict=True))
                    for r in con.execute(
                        f"SELECT {FINDING_COLUMNS} FROM audit.findings WHERE kommunekode = ? AND aar = ? "
                        "AND version = ?",
                        list(v),
                    ).fetchall()
                ]
            )
            for v in versions
        }
        gates = con.execute(
            "SELECT kommunekode, aar, count(DISTINCT koersel) FROM audit.gate_results "
            "WHERE kommunekode <> 'nationalt' GROUP BY ALL"
        ).fetchall()
        # the version each check saw: the demo build holds nothing back, so the one active now
        active = dict(
            ((k, a), v)
            for k, a, v in con.execute(
                "SELECT kommunekode, aar, version FROM audit.active_submissions"
            ).fetchall()
        )
    finally:
        con.close()
    assert any(live.values()), "the demo submissions have findings"
    assert gates, "the demo build ran the gates"
    for k, aar, version in versions:
        part = read_submission(home, k, aar)
        mine = [f for f in part[FINDINGS] if f["version"] == version]
        counts = [c for c in part[FINDING_COUNTS] if c["version"] == version]
        assert max((c["fund"] for c in counts), default=0) <= FINDINGS_PER_RULE  # nothing is capped here
        assert as_rows(mine) == live[(k, aar, version)], (k, aar, version)
        assert sum(c["fund"] for c in counts) == len(live[(k, aar, version)])
        assert all(c["udeladt"] == 0 for c in counts)
        assert part[GATES] and {g["kommunekode"] for g in part[GATES]} == {k}
        assert len({g["koersel"] for g in part[GATES]}) == 1  # the newest gate run's
        assert {g["version"] for g in part[GATES]} == {active[(k, aar)]}, (k, aar)


@pytest.fixture(scope="module")
def findings_home(tmp_path_factory):
    """0101/2024: version 1 (active, godkendt) and version 2 (the newest, held back) with MANY findings of
    one rule; version 0 (neither) with one finding; two gate runs and a national result. 0147/2024: one
    version with a finding. Written into a real warehouse by the real writers, and a snapshot of it."""
    home = Home(tmp_path_factory.mktemp("fund") / "home").ensure()
    con = connect(home.warehouse)
    ensure_schema(con)
    for k, v, status in (("0101", 0, "godkendt"), ("0101", 1, "godkendt"), ("0101", 2, "holdt_tilbage")):
        con.execute(
            f"INSERT INTO audit.submissions VALUES ('{k}', {AAR}, {v}, now(), 'fp{v}', '[]', ?, '{{}}')",
            [status],
        )
    con.execute("INSERT INTO audit.pins VALUES ('0101', ?, 1, 'steward', now(), 'test')", [AAR])
    con.execute(
        f"INSERT INTO audit.submissions VALUES ('0147', {AAR}, 1, now(), 'fp', '[]', 'godkendt', '{{}}')"
    )
    Findings(con, ("0101", AAR, 0)).add("gammel_regel", "Et fund i en gammel version.", dataset="bygninger")
    Findings(con, ("0101", AAR, 1)).add(
        "ugyldig_vaerdi",
        "Værdien »x« er ikke et tal.",
        dataset="bygninger",
        fil="bygninger.csv",
        raekke=7,
        kolonne="bruttodriftsareal_m2",
        vaerdi="x",
    )
    newest = Findings(con, ("0101", AAR, 2))
    for row in reversed(range(MANY)):  # written in no particular order: the snapshot keeps the first rows
        newest.add(
            "negativt_areal",
            f"Arealet i række {row} er negativt.",
            dataset="bygninger",
            fil="bygninger.csv",
            raekke=row,
            kolonne="bruttodriftsareal_m2",
            vaerdi=str(-row),
        )
    newest.add("sprunget_over", "3 tomme rækker er sprunget over.", WARNING, fil="bygninger.csv", antal=3)
    Findings(con, ("0147", AAR, 1)).add(
        "dublet", "HEMMELIGT-0147: bygning B-1 to gange.", dataset="bygninger"
    )
    record(con, "koersel-1", [CheckResult("3", "afstemning", "0101", AAR, "fejl", 10, 2, "Gammel kørsel.")])
    record(
        con,
        "koersel-2",
        [
            CheckResult(
                "2", "maalere_med_huller", "0101", AAR, "advarsel", 36, 1, "1 måler har huller.", ["M-1"], 1
            ),
            CheckResult(
                "3", "afstemning", "0101", AAR, "ok", 12, 0, "Hver aktiv bygning præcis én gang.", [], 1
            ),
            CheckResult("3", "undertrykkelse", "nationalt", None, "ok", 98, 0, "Nationalt."),
        ],
    )
    write_snapshot(con, home)
    con.close()
    return home


def test_the_cap_keeps_the_first_findings_per_rule_and_says_how_many_were_left_out(findings_home):
    part = read_submission(findings_home, "0101", AAR)
    by_version = {v: [f for f in part[FINDINGS] if f["version"] == v] for v in (0, 1, 2)}
    assert by_version[0] == []  # neither newest nor active: not carried
    assert {r["version"]: r["med_fund"] for r in part[SNAPSHOT]} == {0: False, 1: True, 2: True}
    assert [(f["regel"], f["raekke"]) for f in by_version[1]] == [("ugyldig_vaerdi", 7)]
    capped = [f for f in by_version[2] if f["regel"] == "negativt_areal"]
    assert sorted(f["raekke"] for f in capped) == list(range(FINDINGS_PER_RULE))
    counts = {(c["version"], c["regel"]): c for c in part[FINDING_COUNTS]}
    assert set(counts) == {(1, "ugyldig_vaerdi"), (2, "negativt_areal"), (2, "sprunget_over")}
    c = counts[(2, "negativt_areal")]
    assert (c["alvorlighed"], c["fund"], c["antal"], c["udeladt"]) == (
        "fejl",
        MANY,
        MANY,
        MANY - FINDINGS_PER_RULE,
    )
    s = counts[(2, "sprunget_over")]
    assert (s["alvorlighed"], s["fund"], s["antal"], s["udeladt"]) == ("advarsel", 1, 3, 0)
    # the newest gate run's results for the municipality-year, not the older run's, not the national ones
    assert [(g["koersel"], g["kontrol"], g["status"]) for g in part[GATES]] == [
        ("koersel-2", "maalere_med_huller", "advarsel"),
        ("koersel-2", "afstemning", "ok"),
    ]
    assert all(f["kommunekode"] == "0101" for p in part.values() for f in p)


def test_a_snapshot_is_one_generation_and_the_one_before_is_kept_for_readers(findings_home):
    folder = status_dir(findings_home)
    con = connect(findings_home.warehouse)
    try:
        first = (folder / LINK).readlink()
        write_snapshot(con, findings_home)
        second = (folder / LINK).readlink()
        write_snapshot(con, findings_home)
        third = (folder / LINK).readlink()
    finally:
        con.close()
    assert len({first, second, third}) == 3
    assert sorted(p.name for p in folder.glob(f"{LINK}.*")) == sorted([second.name, third.name])
    assert not (folder / first).exists()
    assert {r["version"] for r in read_snapshot(findings_home, "kommunekode = ?", ["0101"])} == {0, 1, 2}


@pytest.fixture(scope="module")
def server(findings_home):
    s = Server(findings_home.root)
    yield s
    s.stop()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_get_answers_findings_and_gate_results_for_the_own_municipality_only(findings_home, server):
    token, _ = tokens.create(findings_home, "Københavns Kommune", ["0101"], ["laes"])
    status, body, _ = server.request("GET", f"/api/v1/indberetninger/0101/{AAR}", token)
    assert status == 200, body
    v = {x["version"]: x for x in body["versioner"]}
    assert v[0]["fund"] is None and v[0]["fund_optalt"] is None and v[0]["udeladt"] is None
    assert [f["vaerdi"] for f in v[1]["fund"]] == ["x"] and v[1]["udeladt"] == 0
    assert set(v[1]["fund"][0]) == set(COLUMNS)
    assert v[2]["udeladt"] == MANY - FINDINGS_PER_RULE
    assert (
        len(v[2]["fund"]) == FINDINGS_PER_RULE + 1
    )  # the capped rule's first rows, and the other rule's one
    assert {(c["regel"], c["fund"], c["udeladt"]) for c in v[2]["fund_optalt"]} == {
        ("negativt_areal", MANY, MANY - FINDINGS_PER_RULE),
        ("sprunget_over", 1, 0),
    }
    gates = body["gate_resultater"]
    assert [(g["version"], g["gate"], g["kontrol"], g["status"], g["eksempler"]) for g in gates] == [
        (1, "2", "maalere_med_huller", "advarsel", ["M-1"]),
        (1, "3", "afstemning", "ok", []),
    ]
    # another municipality's submission: refused, nothing of it in the answer
    status, body, _ = server.request("GET", f"/api/v1/indberetninger/0147/{AAR}", token)
    assert status == 403 and body["fejl"]["kode"] and "HEMMELIGT" not in str(body)


def test_get_reads_the_snapshot_while_a_writer_holds_the_warehouse(findings_home, server):
    """A writer holds the warehouse (DuckDB locks every other process out of the file) and adds a finding
    the snapshot does not have yet: the service answers at once, with the snapshot's findings; after the
    writer writes the snapshot, the new finding is there."""
    token, _ = tokens.create(findings_home, "Leverandør", ["0101", "0147"], ["laes"])
    url = f"/api/v1/indberetninger/0147/{AAR}"
    con = connect(findings_home.warehouse)
    try:
        Findings(con, ("0147", AAR, 1)).add(
            "ny_regel", "Et nyt fund, endnu kun i lageret.", dataset="maalere"
        )
        status, body, _ = server.request("GET", url, token)
        assert status == 200, body
        assert [f["regel"] for f in body["versioner"][0]["fund"]] == ["dublet"]
        write_snapshot(con, findings_home)
        status, body, _ = server.request("GET", url, token)
        assert status == 200 and sorted(f["regel"] for f in body["versioner"][0]["fund"]) == [
            "dublet",
            "ny_regel",
        ]
    finally:
        con.close()


def test_the_municipality_page_shows_findings_and_gate_results(findings_home, server):
    token, _ = tokens.create(findings_home, "København, siden", ["0101"], ["indberet", "laes"])
    sid, _ = login(server, token)
    status, _, body = raw(server, "GET", f"/kommune/0101?aar={AAR}", {"Cookie": f"{sessions.COOKIE}={sid}"})
    assert status == 200
    html = body.decode()
    assert (
        "Fund i version 2" in html and "Fund i version 1 (aktiv)" in html and "Fund i version 0" not in html
    )
    assert f"{MANY - FINDINGS_PER_RULE} fund er ikke vist" in html
    assert "Arealet i række 0 er negativt." in html and f"Arealet i række {MANY - 1} er negativt." not in html
    assert "maalere_med_huller" in html and "1 måler har huller." in html and "Gammel kørsel." not in html
    assert len(re.findall(r"<tr><td>Bygninger \(stamdata\)</td>", html)) >= FINDINGS_PER_RULE
    assert "HEMMELIGT" not in html


def test_a_snapshot_from_before_the_gate_results_had_versions_is_still_answered(findings_home, tmp_path):
    """A service upgraded before the pipeline has written a new snapshot reads the old one: its gate results
    have no version column, and the answer says null for it instead of failing."""
    from pipeline.service.app import submission_status

    home = Home(tmp_path / "home").ensure()
    src = status_dir(findings_home) / os.readlink(status_dir(findings_home) / LINK)
    dst = status_dir(home) / "snapshot.1"
    dst.mkdir(parents=True)
    con = connect()
    try:
        for part in src.iterdir():
            columns = "* EXCLUDE (version)" if part.name == GATES else "*"
            con.execute(f"COPY (SELECT {columns} FROM '{part}') TO '{dst / part.name}' (FORMAT parquet)")
    finally:
        con.close()
    (status_dir(home) / LINK).symlink_to("snapshot.1")
    state = submission_status(home, "0101", AAR)
    assert [(g["version"], g["kontrol"]) for g in state["gate_resultater"]] == [
        (None, "maalere_med_huller"),
        (None, "afstemning"),
    ]
