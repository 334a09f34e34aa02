"""The whole pipeline (a real `kkm2 run`: Dagster in-process, dbt, GX, a release) on a landing folder an attacker
and a careless contributor have both been at, with a failure injected into each per-municipality stage of a
different municipality. One run for the module; each test reads what it left."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import query

from pipeline.demo_data import generate
from pipeline.faults import STAGES
from pipeline.run import run
from pipeline.settings import Home
from pipeline.text import canonical_kommunekode

SECRET = "kkm2-hemmelighed-5be1"
NUL_VALUE = "12\x00\x07kr"


def _xlsx_bomb(path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "anvendelse"
    ws.append(["bygning_id", "periode_fra"])
    ws["XFD1048576"] = "x"
    wb.save(path)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    home = Home(root / "home").ensure()
    secret = root / "udenfor" / "hemmelig.txt"
    secret.parent.mkdir()
    secret.write_text(SECRET + "\n", encoding="utf-8")
    folders = generate(
        home.landing, kommuner=8, aar=[2024], seed=11, bygninger_pr_kommune=4, reference=home.reference
    )
    codes = {canonical_kommunekode(f.parent.name): f for f in folders}
    order = sorted(codes)
    good, faulty = order[:2], dict(zip(STAGES, order[2:], strict=True))
    g0 = codes[good[0]]
    # attacks on the first good municipality's submission
    os.symlink(secret, g0 / "udgifter_ekstra.csv")  # a file outside the home
    os.symlink(codes[good[1]] / "bygninger.csv", g0 / "vedligehold_lånt.csv")  # another municipality's file
    for y in ("1800", "2099"):  # years outside the collaboration
        (g0.parent / y).mkdir()
        (g0.parent / y / "bygninger.csv").write_bytes((g0 / "bygninger.csv").read_bytes())
    (g0.parent / "løs_fil.csv").write_text("bygning_id\nX\n", encoding="utf-8")  # no year folder
    (g0 / "udgifter_nul.csv").write_text(
        f"bygning_id;kontogruppe;beloeb_kr\nUKENDT;rengoering;{NUL_VALUE}\n", encoding="utf-8"
    )
    evil = f"bygning_id\" AS VARCHAR) || error((SELECT content FROM read_text('{secret}'))) || CAST(\"x"
    pq.write_table(
        pa.table(
            {
                "bygning_id": ["UKENDT"],
                "aktivitet": ["skole"],
                "karakter": [2.0],
                "metode": ["faglig_vurdering"],
                evil: ["y"],
            }
        ),
        g0 / "understoettelse_ekstra.parquet",
    )
    _xlsx_bomb(g0 / "anvendelse_bombe.xlsx")
    # a municipality outside the demo whose year folder is the second good municipality's
    outsider = next(
        k for k in ("0147", "0151", "0153", "0155", "0157", "0159", "0161", "0163", "0165") if k not in codes
    )
    (home.landing / outsider).mkdir()
    os.symlink(codes[good[1]], home.landing / outsider / "2024")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KKM2_FEJL", ",".join(f"{stage}:{k}" for stage, k in faulty.items()))
        report = run(home)
    return home, report, good, faulty, outsider, secret


def test_the_build_succeeds_and_publishes_the_good_municipalities(hostile):
    home, report, good, faulty, *_ = hostile
    assert report.success, report
    published = {
        r[0] for r in query(home.current / "warehouse.duckdb", "SELECT DISTINCT kommunekode FROM dim_bygning")
    }
    assert published == set(good)
    for k in good:
        n_active = query(
            home.warehouse,
            "SELECT count(*) FROM raw.bygninger WHERE (kommunekode, aar, version) IN "
            "(SELECT (kommunekode, aar, version) FROM audit.active_submissions) AND kommunekode = ?",
            [k],
        )[0][0]
        rows = pq.read_table(home.current / "kommuner" / k / "mart_noegletal_bygning.parquet").num_rows
        assert rows == n_active > 0


def test_each_failed_stage_holds_back_only_its_municipality_with_a_danish_finding(hostile):
    home, _, _, faulty, *_ = hostile
    statuses = dict(
        query(
            home.current / "warehouse.duckdb",
            "SELECT kommunekode, any_value(status) FROM mart_indberetning_status WHERE aar = 2024 GROUP BY 1",
        )
    )
    for stage, k in faulty.items():
        latest = query(
            home.warehouse,
            "SELECT status FROM audit.submissions WHERE kommunekode = ? ORDER BY version DESC LIMIT 1",
            [k],
        )
        assert latest == [("holdt_tilbage",)], stage
        assert statuses[k] == "holdt_tilbage", stage
        page = (home.current / "kommuner" / k / "tilbagemelding_2024.html").read_text(encoding="utf-8")
        assert "intern fejl" in page and "holdt tilbage" in page, stage
        assert not (home.current / "kommuner" / k / "mart_noegletal_bygning.parquet").exists(), stage


def test_nothing_outside_a_submission_is_read_or_published(hostile):
    home, report, good, _, outsider, secret = hostile
    for folder in (home.releases, home.archive, home.current / "kommuner"):
        for p in folder.rglob("*"):
            if p.is_file() and not p.is_symlink():
                assert SECRET.encode() not in p.read_bytes(), p
    assert query(
        home.warehouse, "SELECT count(*) FROM audit.submissions WHERE kommunekode = ?", [outsider]
    ) == [(0,)]
    said = "\n".join(report.landing_problems)
    assert f"{outsider}/2024" in said and "symbolsk link" in said
    assert str(secret) in said  # the steward learns where the link pointed
    findings = query(
        home.warehouse,
        "SELECT fil, besked FROM audit.findings WHERE kommunekode = ? AND regel = 'ikke_laest'",
        [good[0]],
    )
    assert {f for f, _ in findings} == {"udgifter_ekstra.csv", "vedligehold_lånt.csv"}
    page = (home.current / "kommuner" / good[0] / "tilbagemelding_2024.html").read_text(encoding="utf-8")
    assert "udgifter_ekstra.csv" in page and "symbolsk link" in page


def test_years_outside_and_files_outside_year_folders_are_reported_not_loaded(hostile):
    home, report, good, *_ = hostile
    years = query(home.warehouse, "SELECT DISTINCT aar FROM audit.submissions ORDER BY 1")
    assert years == [(2024,)]
    assert query(home.current / "warehouse.duckdb", "SELECT DISTINCT aar FROM mart_noegletal_kommune") == [
        (2024,)
    ]
    said = "\n".join(report.landing_problems)
    assert "Årstallet 1800" in said and "Årstallet 2099" in said
    assert "løs_fil.csv" in said and "uden et årstal" in said


def test_hostile_files_become_findings_and_the_nul_row_reaches_the_feedback_workbook(hostile):
    home, _, good, *_ = hostile
    k = good[0]
    found = query(
        home.warehouse,
        "SELECT fil, regel, besked FROM audit.findings WHERE kommunekode = ? AND version = "
        "(SELECT max(version) FROM audit.submissions WHERE kommunekode = ?)",
        [k, k],
    )
    bomb = [b for f, r, b in found if f.startswith("anvendelse_bombe.xlsx") and r == "ulaeselig_fil"]
    assert bomb and "XFD1048576" in bomb[0]
    assert any(r == "ukendt_kolonne" and f == "understoettelse_ekstra.parquet" for f, r, _ in found)
    wb = openpyxl.load_workbook(home.current / "kommuner" / k / "afviste_raekker_2024.xlsx")
    cells = [c for row in wb.active.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert any(c.startswith("12\ufffd\ufffdkr") for c in cells)
    rows = query(
        home.warehouse,
        "SELECT raekker_modtaget, raekker_accepteret, raekker_afvist, raekker_sprunget_over FROM audit.submission_datasets",
    )
    assert rows and all(r == a + j + s for r, a, j, s in rows)
    with zipfile.ZipFile(home.current / "kommuner" / k / "afviste_raekker_2024.xlsx") as z:
        assert all(b"\x00" not in z.read(n) for n in z.namelist())
