"""The pages' template layer (pipeline/pages): one autoescaped Jinja2 environment, one base layout that every
page extends. Hostile text reaches a page only through a template, and the environment escapes it: these tests
render every page kind with hostile text in every field a page prints, and write a submission's feedback with
the project's own writer from a warehouse holding hostile findings. The browser tests (test_report_browser)
show the same for the report's pages in Chromium."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from pipeline.contract.codes import labels, seed_rows
from pipeline.contract.datasets import DATASETS
from pipeline.contract.parameters import parameters
from pipeline.feedback import write_feedback
from pipeline.pages import environment, render
from pipeline.report import status_by_year
from pipeline.settings import connect
from pipeline.states import DatasetState
from pipeline.text import da_number, da_number_short
from pipeline.warehouse import ensure_schema

# What a municipality (or an attacker) might put in a name, a value or a message; \x07 is a control character
HOSTILE = "<script>window.__x=1</script><img src=x onerror=alert(1)>\"'&\x07"
# ... as the page must hold it: escaped, the control character as U+FFFD
ESCAPED = "&lt;script&gt;window.__x=1&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;&#34;&#39;&amp;\ufffd"


def page_contexts(text: str) -> dict[str, dict]:
    """Every page kind with `text` in every field it prints (and in the data handed to report.js)."""
    row = {"kommunekode": "0101", "kommunenavn": text}
    return {
        "national.html": {"data": {"kort": None}, "kommuner": [row]},
        "methods.html": {
            "katalog": [
                {
                    "navn": text,
                    "noegletal": text,
                    "enhed": text,
                    "definition": text,
                    "model_version": text,
                    "er_foreloebig": True,
                }
            ],
            "conversions": [
                {
                    "forsyningsart": text,
                    "enhed": text,
                    "faktor": 11.0,
                    "basisenhed": text,
                    "grundlag": text,
                    "model_version": text,
                }
            ],
        },
        "municipality.html": {
            "kommunenavn": text,
            "aar": 2024,
            "data": {"kommunenavn": text, "bygninger": [{"navn": text}]},
            "feedback": [{"fil": "tilbagemelding_2024.html", "aar": "2024"}],
            "status": status_by_year(
                [
                    {
                        "aar": 2024,
                        "dataset": text,
                        "status": text,
                        "raekker_modtaget": 1234,
                        "raekker_accepteret": 1000,
                        "raekker_afvist": 234,
                        "kvalitet_besked": text,
                    }
                ]
            ),
        },
        "feedback.html": {
            "kommunekode": "0101",
            "aar": 2024,
            "reason": None,
            "version": 1,
            "status": "godkendt",
            "received": dt.datetime(2024, 3, 1, 12, 30),
            "counts": [(text, 1234, 1000, 234, 0, 1)],
            "findings": [("fejl", text, text, text, 2, text, text, text, 1)],
        },
    }


def render_all(text: str) -> dict[str, str]:
    params = parameters()
    return {
        name: render(name, release_id="R1", params=params, **ctx) for name, ctx in page_contexts(text).items()
    }


def test_every_page_template_extends_the_base_layout():
    env = environment()
    pages = sorted(
        t for t in set(env.list_templates()) - {"base.html", "macros.html"} if not t.startswith("service_")
    )
    assert pages == sorted(page_contexts("x"))  # a new page kind gets a context here, and these checks
    for name in pages:
        source = env.loader.get_source(env, name)[0]
        assert re.search(r'^{% extends "base.html" %}$', source, re.M), name
        assert "<html" not in source and "<head" not in source and "<body" not in source, name
    for name, html in render_all("Skolen").items():
        assert html.startswith('<!doctype html>\n<html lang="da">'), name
        assert html.count("<html") == html.count("<main") == html.count("<footer>") == 1, name
        assert '<main id="indhold">' in html and '<a class="skip" href="#indhold">' in html, name
        assert "<footer><p>Udgivelse R1." in html, name
        assert re.search(r'<link rel="stylesheet" href="(\.\./)+report/assets/report\.css">', html), name
        assert re.search(r'<script src="(\.\./)+report/assets/report\.js"></script>\n</body>', html), name
        assert '<script id="data" type="application/json">' in html, name


def service_contexts(text: str) -> dict[str, dict]:
    """Every page of `kkm2 serve` (pipeline/service/pages.py) with `text` in every field it prints."""
    from pipeline.service.tokens import Caller

    who = Caller("t1", text, frozenset({"0101"}), frozenset({"indberet", "laes"}))
    state = {
        "filer_i_landing": [{"fil": text, "bytes": 1}],
        "klar": True,
        "seneste": {
            "version": 1,
            "status": text,
            "aktiv": True,
            "datasaet": [
                {"navn": text, "tilstand_tekst": text, "raekker_modtaget": 1234, "raekker_accepteret": None}
                | dict.fromkeys(("raekker_afvist", "raekker_sprunget_over", "advarsler"), 0)
            ],
        },
        "med_fund": [
            {
                "version": 1,
                "aktiv": True,
                "udeladt": 5,
                "fund_optalt": [{"regel": text, "alvorlighed": text, "fund": 7, "antal": 7, "udeladt": 5}],
                "fund": [
                    {"navn": text, "fil": text, "ark": text, "raekke": 2, "kolonne": text, "vaerdi": text}
                    | {"regel": text, "alvorlighed": text, "besked": text, "antal": 1}
                ],
            }
        ],
        "gate_resultater": [
            {"version": 1, "gate": text, "kontrol": text, "status": text, "evalueret": 10, "antal": 1}
            | {"besked": text}
            | {"eksempler": [text], "tid": "2026-12-05T08:00:00+01:00"}
        ],
    }
    return {
        "service_login.html": {"besked": text, "login_csrf": text},
        "service_kommuner.html": {"who": who, "csrf": text, "kommuner": [text]},
        "service_fejl.html": {"who": who, "csrf": text, "besked": text},
        "service_kommune.html": {
            "who": who,
            "csrf": text,
            "kommunekode": "0101",
            "aar": 2024,
            "years": [2024, 2023],
            "upload": True,
            "state": state,
            "links": [{"href": "/rapport/x", "tekst": text}],
            "form_files": 10,
            # what the upload form without JavaScript brings back: file names and reasons are the sender's
            "sent": {
                "filer": [
                    {"fil": text, "bytes": 1, "fejl": None},
                    {"fil": text, "bytes": None, "fejl": text},
                ],
                "svar": {
                    "godkendt": False,
                    "fund_i_alt": 1,
                    "datasaet": {
                        text: dict.fromkeys(
                            (
                                "raekker_modtaget",
                                "raekker_accepteret",
                                "raekker_afvist",
                                "raekker_sprunget_over",
                            ),
                            1,
                        )
                    },
                    "fund": [
                        {"fil": text, "raekke": 2, "kolonne": text, "vaerdi": text, "besked": text}
                        | {"alvorlighed": text}
                    ],
                },
            },
        },
    }


def test_the_service_pages_extend_the_layout_and_escape_hostile_text():
    env = environment()
    assert sorted(t for t in env.list_templates() if t.startswith("service_")) == sorted(
        [*service_contexts("x"), "service_base.html"]
    )
    for name, ctx in service_contexts(HOSTILE).items():
        assert re.search(r'^{% extends "service_base.html" %}$', env.loader.get_source(env, name)[0], re.M)
        html = render(
            name,
            root="/rapport/",
            assets="/sider/assets/",
            release_id="",
            **{"who": None, "csrf": None, **ctx},
        )
        assert html.startswith('<!doctype html>\n<html lang="da">') and '<main id="indhold">' in html, name
        assert '<link rel="stylesheet" href="/sider/assets/report.css">' in html, name
        assert "report.js" not in html and "<script>" not in html, (
            name
        )  # no inline script (the CSP forbids it)
        assert "<script>window.__x" not in html and "<img" not in html and ESCAPED in html, name


def test_no_python_module_builds_a_page_shell_of_its_own():
    package = Path(__file__).resolve().parent.parent / "pipeline"
    for path in package.rglob("*.py"):
        text = path.read_text(encoding="utf-8").lower()
        assert "<!doctype" not in text and "<html" not in text, path


def test_hostile_text_is_escaped_by_the_templates_in_every_page():
    for name, html in render_all(HOSTILE).items():
        assert "<script>window.__x" not in html and "<img" not in html, name
        assert "\x07" not in html, name
        assert ESCAPED in html, name
        # in the data for report.js the text is JSON that cannot end its script element
        data = re.search(r'<script id="data" type="application/json">(.*?)</script>', html, re.S)[1]
        assert "<" not in data and ">" not in data and "&" not in data, name


def test_the_title_and_heading_of_a_municipality_page_are_escaped():
    html = render_all(HOSTILE)["municipality.html"]
    assert f"<title>{ESCAPED} – Nøgletal for kommunale bygninger</title>" in html
    assert f"<h1>{ESCAPED}</h1>" in html


def test_numbers_in_pages_are_danish_with_the_one_formatter_of_pipeline_text():
    env = environment()
    assert env.filters["da_number"] is da_number
    assert env.filters["da_number_short"] is da_number_short
    pages = render_all("Skolen")
    assert '<td class="num">1.234</td>' in pages["municipality.html"]
    assert '<td class="num">1.234</td>' in pages["feedback.html"]
    assert '<td class="num">11</td>' in pages["methods.html"]


def test_an_undefined_name_in_a_template_fails_instead_of_printing_nothing():
    from jinja2 import UndefinedError

    with pytest.raises(UndefinedError):
        render("national.html", release_id="R1", params=parameters(), data={"kort": None})  # no kommuner


def test_the_feedback_writer_escapes_hostile_findings(tmp_path, monkeypatch):
    """write_feedback from a warehouse whose findings and counts carry hostile text: the page shows it escaped,
    and the page for a submission whose feedback could not be written extends the same layout."""
    con = connect()
    try:
        con.execute("ATTACH ':memory:' AS wh")
        con.execute("USE wh")
        ensure_schema(con)
        con.execute("USE memory")
        for k in ("0101", "0147"):
            con.execute(
                "INSERT INTO wh.audit.submissions VALUES (?, 2024, 1, TIMESTAMPTZ '2024-03-01 12:30:00+01', "
                "'x', '[]', 'godkendt', NULL)",
                [k],
            )
            con.execute(
                "INSERT INTO wh.audit.submission_datasets VALUES (?, 2024, 1, ?, '[\"b.csv\"]', 1234, 1000, 234, 0, 1)",
                [k, HOSTILE],
            )
            con.execute(
                "INSERT INTO wh.audit.findings VALUES (?, 2024, 1, 'bygninger', ?, ?, 2, ?, ?, 'regel', ?, 'fejl', 1)",
                [k, HOSTILE, HOSTILE, HOSTILE, HOSTILE, HOSTILE],
            )
            con.execute(
                "INSERT INTO wh.audit.rejected_rows VALUES (?, 2024, 1, 'bygninger', 'b.csv', 2, '{\"navn\": \"=1+1\"}', ?)",
                [k, HOSTILE],
            )
        monkeypatch.setenv("KKM2_FEJL", "tilbagemelding:0147")
        failures: dict[str, str] = {}
        written = write_feedback(con, tmp_path, "R1", failures)
    finally:
        con.close()
    assert sorted(p.name for p in written) == [
        "afviste_raekker_2024.xlsx",
        "tilbagemelding_2024.html",
        "tilbagemelding_2024.html",
    ]
    page = (tmp_path / "0101" / "tilbagemelding_2024.html").read_text(encoding="utf-8")
    assert "<script>window.__x" not in page and "<img" not in page and "\x07" not in page
    assert page.count(ESCAPED) == 6  # the dataset, and the finding's file, sheet, column, value and message
    assert '<table id="fund" data-antal="1">' in page and page.count("<tr class=") == 1
    assert "modtaget 2024-03-01 12:30:00" in page and '<td class="num">1.234</td>' in page
    failed = (tmp_path / "0147" / "tilbagemelding_2024.html").read_text(encoding="utf-8")
    assert "intern fejl: InjectedFault" in failed and "holdt tilbage" in failed
    assert failures == {"0147": "Tilbagemeldingen for 2024 kunne ikke skrives (intern fejl: InjectedFault)."}
    for html in (page, failed):
        assert '<main id="indhold">' in html and "<footer><p>Udgivelse R1." in html
        assert '<link rel="stylesheet" href="../../report/assets/report.css">' in html


def status_rows(message: str | None) -> list[dict]:
    """mart_indberetning_status's rows for one municipality: every dataset of the contract in two years, the
    year's quality message (about the whole submission) on each row, as the mart has it."""
    states = list(DatasetState)
    return [
        {
            "aar": aar,
            "dataset": ds,
            "status": states[i % len(states)].value,
            "raekker_modtaget": 12345,
            "raekker_accepteret": 12000,
            "raekker_afvist": 345,
            "kvalitet_besked": message,
        }
        for aar in (2024, 2023)
        for i, ds in enumerate(DATASETS)
    ]


def test_a_municipality_wide_message_is_shown_once_per_year_not_on_every_dataset_row():
    message = "1 målere har huller i året (dækning under 99,9 %). | Arealet faldt 30 %."
    html = render(
        "municipality.html",
        release_id="R1",
        params=parameters(),
        kommunenavn="Skolen",
        aar=2024,
        data={},
        feedback=[],
        status=status_by_year(status_rows(message)),
    )
    assert len(DATASETS) == 10
    assert html.count("<li>1 målere har huller i året (dækning under 99,9 %).</li>") == 2  # once per year
    assert html.count("<li>Arealet faldt 30 %.</li>") == 2
    assert html.count("<tr data-dataset=") == 2 * len(DATASETS)
    # datasets and states by their Danish names, counts with thousands separators
    assert '<th scope="row">Indeklima – målinger</th>' in html
    assert ">Delvist godkendt</td>" in html and ">delvist_godkendt<" not in html
    assert ">indeklima_maalinger<" not in html
    assert html.count('<td class="num">12.345</td>') == 2 * len(DATASETS)
    quiet = render(
        "municipality.html",
        release_id="R1",
        params=parameters(),
        kommunenavn="Skolen",
        aar=2024,
        data={},
        feedback=[],
        status=status_by_year(status_rows(None)),
    )
    assert 'class="note kontroller"' not in quiet and "<tr data-dataset=" in quiet


def test_every_dataset_state_has_a_danish_label_and_sectors_theirs_from_the_seed():
    states = {s: s.label for s in DatasetState}
    assert states[DatasetState.DELVIST_GODKENDT] == "Delvist godkendt"
    assert all(label != s.value and "_" not in label and label[0].isupper() for s, label in states.items())
    seed = {r["kode"]: r["label"] for r in seed_rows("sektorer.csv")}
    assert labels("sektor") == seed and labels("sektor")["aeldre"] == seed["aeldre"] != "aeldre"


ENGLISH = re.compile(r"\b(provisional|weights?|thresholds?|default|basis|factor|only|where)\b", re.I)


def test_the_methods_page_is_all_danish_with_the_real_catalogue():
    """metode.html rendered from the shipped catalogue and unit conversions: no English words, numbers with a
    decimal comma (3,5, never 3.5)."""
    katalog = [{**r, "er_foreloebig": r["er_foreloebig"] == "true"} for r in seed_rows("dim_noegletal.csv")]
    forsyning = {r["kode"]: r for r in seed_rows("forsyningsarter.csv")}
    conversions = [
        {
            **r,
            "faktor": float(r["faktor"]),
            "forsyningsart": forsyning[r["forsyningsart"]]["label"],
            "basisenhed": forsyning[r["forsyningsart"]]["basisenhed"],
        }
        for r in seed_rows("enhedsomregning.csv")
    ]
    html = render(
        "methods.html", release_id="R1", params=parameters(), katalog=katalog, conversions=conversions
    )
    text = re.sub(r"<[^>]+>", " ", html.split('<main id="indhold">')[1].split("</main>")[0])
    assert not ENGLISH.findall(text)
    assert not re.findall(r"\d\.\d{1,2}(?!\d)", text)  # a decimal point (1.000 is a thousands separator)
    assert "≥ 3,5" in text and "(foreløbig" in text


def test_the_feedback_page_names_datasets_in_danish(tmp_path):
    con = connect()
    try:
        con.execute("ATTACH ':memory:' AS wh")
        con.execute("USE wh")
        ensure_schema(con)
        con.execute("USE memory")
        con.execute(
            "INSERT INTO wh.audit.submissions VALUES ('0101', 2024, 1, TIMESTAMPTZ '2024-03-01 12:30:00+01', "
            "'x', '[]', 'godkendt', NULL)"
        )
        for ds in DATASETS:
            con.execute(
                "INSERT INTO wh.audit.submission_datasets VALUES "
                "('0101', 2024, 1, ?, '[\"f.csv\"]', 16993, 16992, 1, 0, 0)",
                [ds],
            )
        write_feedback(con, tmp_path, "R1")
    finally:
        con.close()
    page = (tmp_path / "0101" / "tilbagemelding_2024.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr><td>([^<]*)</td><td class=\"num\">([^<]*)</td>", page)
    assert sorted(name for name, _ in rows) == sorted(d.label for d in DATASETS.values())
    assert {n for _, n in rows} == {"16.993"}
    assert '<div class="tabel-rul" role="region" tabindex="0" aria-label="Fund">' in page
