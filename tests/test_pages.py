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

from pipeline.contract.parameters import parameters
from pipeline.feedback import write_feedback
from pipeline.pages import environment, render
from pipeline.settings import connect
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
            "status": [
                {
                    "aar": 2024,
                    "dataset": text,
                    "status": text,
                    "raekker_modtaget": 1234,
                    "raekker_accepteret": 1000,
                    "raekker_afvist": 234,
                    "kvalitet_besked": text,
                }
            ],
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
    pages = sorted(set(env.list_templates()) - {"base.html", "macros.html"})
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
