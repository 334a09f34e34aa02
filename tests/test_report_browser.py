"""The benchlearning report in a real headless browser (Playwright driving Debian's Chromium): pages load
without console errors or network requests, charts and the map render, the sector filter and the sortable
building table work, the numbers equal the marts, and axe-core finds no serious accessibility violations.
Screenshots go to test-artefacts/."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from pathlib import Path

import duckdb
import pytest
from conftest import real_file

from pipeline.report import write_report
from pipeline.settings import REPO_ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTEFACTS = REPO_ROOT / "test-artefacts"


@pytest.fixture(scope="module")
def site(demo_home, tmp_path_factory):
    """A copy of the demo release with its report written again, the real municipal boundaries as the
    steward's map file; served by a plain static web server on localhost."""
    home, _ = demo_home
    root = tmp_path_factory.mktemp("report_site") / "release"
    shutil.copytree(home.current.resolve(), root, symlinks=True)
    for p in [root, *root.rglob("*")]:
        if not p.is_symlink():
            p.chmod(0o755 if p.is_dir() else 0o644)
    write_report(root, geojson=real_file("municipalities", "dk_municipalities_magnuslarsen.geojson"))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Chromium missing: `make test` installs Debian's chromium (see Makefile, target browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


def open_page(browser, url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    seen = {"errors": [], "requests": []}
    page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.goto(url)
    page.wait_for_load_state("load")
    page.wait_for_selector(".main-svg")
    return page, seen


def local_only(requests: list[str], base: str) -> list[str]:
    return [
        r for r in requests if not (r.startswith(base) or r.startswith("file://") or r.startswith("blob:"))
    ]


def shot(page, name: str) -> None:
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / name), full_page=True)


def mart(root: Path, sql: str, params=None):
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_national_page_renders_charts_and_the_map_without_errors_or_network(site, browser):
    root, base = site
    page, seen = open_page(browser, f"{base}/report/index.html")
    assert seen["errors"] == []
    assert local_only(seen["requests"], base) == []
    assert page.locator("#fordeling .main-svg").count() >= 1
    assert page.locator("#fordeling .boxlayer .trace").count() >= 1
    # the map: every municipality drawn (grey), the ones with data coloured on top
    page.wait_for_selector("#kort .choroplethlocation")
    assert page.evaluate("DATA.kort.features.length") == 98  # 311 polygons merged into the 98 municipalities
    assert page.locator("#kort .choroplethlocation").count() >= 98 + 1
    # the median in the data table is the mart's
    page.locator("#fordeling-h ~ details summary").first.click()
    figure = page.locator("#figur").input_value()
    [(median,)] = mart(
        root,
        "SELECT median FROM mart_benchmark WHERE noegletal = ? AND sektor = 'alle' AND sammenligningsgruppe = 'alle' "
        "AND aar = (SELECT max(aar) FROM mart_benchmark WHERE NOT undertrykt AND noegletal = ?)",
        [figure, figure],
    )
    assert float(
        page.locator("#fordeling-tabel tbody tr").last.locator("td[data-median]").get_attribute("data-median")
    ) == pytest.approx(median)
    shot(page, "rapport_landsoverblik.png")


def test_without_boundaries_there_is_no_map_but_a_note(demo_home):
    home, _ = demo_home
    text = (home.current / "report" / "index.html").read_text(encoding="utf-8")
    assert "Intet kort" in text and 'id="kort"' not in text


def municipality_with_sectors(root: Path) -> str:
    return mart(
        root,
        "SELECT kommunekode FROM mart_noegletal_bygning GROUP BY 1 ORDER BY count(DISTINCT sektor) DESC, 1 LIMIT 1",
    )[0][0]


def test_municipality_page_numbers_filter_and_sorting(site, browser):
    root, base = site
    k = municipality_with_sectors(root)
    page, seen = open_page(browser, f"{base}/kommuner/{k}/rapport.html")
    assert seen["errors"] == [] and local_only(seen["requests"], base) == []
    aar = mart(root, "SELECT max(aar) FROM mart_kommune_sammenligning WHERE kommunekode = ?", [k])[0][0]
    # every card's number is the mart's
    expected = dict(
        mart(
            root,
            "SELECT noegletal, vaerdi FROM mart_kommune_sammenligning WHERE kommunekode = ? AND aar = ? AND sektor = 'alle'",
            [k, aar],
        )
    )
    cards = page.locator("#kort-liste li.card")
    shown = {
        cards.nth(i).get_attribute("data-noegletal"): cards.nth(i).get_attribute("data-vaerdi")
        for i in range(cards.count())
    }
    assert set(shown) == set(expected)
    for code, v in expected.items():
        assert (
            (shown[code] in ("null", None))
            if v is None
            else float(shown[code]) == pytest.approx(v, rel=1e-12)
        ), code
    # ... and printed in Danish format with the catalogue's decimals
    [(decimals,)] = mart(root, "SELECT decimaler FROM dim_noegletal WHERE noegletal = 'bda_m2'")
    bda = page.locator('#kort-liste li[data-noegletal="bda_m2"] .value').inner_text()
    assert bda.startswith(
        f"{expected['bda_m2']:,.{decimals}f}".replace(",", "§").replace(".", ",").replace("§", ".")
    )
    # charts rendered
    for chart in ("rangering", "udvikling", "udgift-tilstand"):
        assert page.locator(f"#{chart} .main-svg").count() >= 1, chart
    # the buildings table: all of them, then only one sektor's after filtering
    n_all = mart(
        root, "SELECT count(*) FROM mart_noegletal_bygning WHERE kommunekode = ? AND aar = ?", [k, aar]
    )[0][0]
    assert page.locator("#bygninger tbody tr").count() == n_all
    sektor, n_sektor = mart(
        root,
        "SELECT sektor, count(*) FROM mart_noegletal_bygning WHERE kommunekode = ? AND aar = ? GROUP BY 1 ORDER BY 2, 1 LIMIT 1",
        [k, aar],
    )[0]
    before_cards = cards.count()
    page.select_option("#sektor", sektor)
    assert page.locator("#bygninger tbody tr").count() == n_sektor < n_all
    assert all(
        page.locator("#bygninger tbody tr").nth(i).locator("td").nth(0).inner_text() == sektor
        for i in range(n_sektor)
    )
    assert (
        cards.count() != before_cards
        or page.locator("#kort-liste li.card").first.get_attribute("data-vaerdi") is not None
    )
    page.select_option("#sektor", "alle")
    # sorting by a column, with the keyboard
    header = page.locator("#bygninger thead th button", has_text="Samlet udgift")
    header.focus()
    page.keyboard.press("Enter")
    col = [
        i
        for i in range(page.locator("#bygninger thead th").count())
        if "Samlet udgift" in page.locator("#bygninger thead th").nth(i).inner_text()
    ][0]
    values = [
        page.locator("#bygninger tbody tr").nth(i).locator("th, td").nth(col).get_attribute("data-sort")
        for i in range(n_all)
    ]
    numbers = [float(v) for v in values if v not in (None, "", "null")]
    assert numbers == sorted(numbers) and len(numbers) > 1
    assert page.locator("#bygninger thead th[aria-sort='ascending']").count() == 1
    page.keyboard.press("Enter")
    values = [
        page.locator("#bygninger tbody tr").nth(i).locator("th, td").nth(col).get_attribute("data-sort")
        for i in range(n_all)
    ]
    assert [float(v) for v in values if v not in (None, "", "null")] == sorted(numbers, reverse=True)
    # buildings to look into are marked in the chart and explained
    flagged = mart(
        root,
        "SELECT count(*) FROM mart_noegletal_bygning WHERE kommunekode = ? AND aar = ? AND naermere_eftersyn",
        [k, aar],
    )[0][0]
    if flagged:
        assert page.locator("#eftersyn li").count() == flagged
    shot(page, f"rapport_kommune_{k}.png")


def test_pages_work_opened_from_disk(site, browser):
    root, _ = site
    k = municipality_with_sectors(root)
    for path in (
        root / "report" / "index.html",
        root / "kommuner" / k / "rapport.html",
        root / "report" / "metode.html",
    ):
        page = browser.new_page()
        errors = []
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        assert errors == [], path
        page.close()


def test_methods_page_lists_every_figure_and_marks_provisional_models(site, browser):
    root, base = site
    page = browser.new_page()
    page.goto(f"{base}/report/metode.html")
    rows = page.locator("table tbody tr")
    n, provisional = mart(root, "SELECT count(*), count(*) FILTER (er_foreloebig) FROM dim_noegletal")[0]
    assert rows.count() == n
    assert page.locator("table tbody .provisional").count() == provisional > 0
    assert "færre end 3 kommuner" in page.content()


def test_no_serious_accessibility_violations(site, browser):
    from axe_playwright_python.sync_playwright import Axe

    root, base = site
    k = municipality_with_sectors(root)
    axe = Axe()
    for url in (
        f"{base}/report/index.html",
        f"{base}/kommuner/{k}/rapport.html",
        f"{base}/report/metode.html",
    ):
        page = browser.new_page()
        page.goto(url)
        page.wait_for_load_state("load")
        results = axe.run(page)
        serious = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
        assert not serious, (
            url,
            [(v["id"], v["help"], [n["target"] for n in v["nodes"][:3]]) for v in serious],
        )
        page.close()
