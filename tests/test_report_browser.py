"""The benchlearning report in a real headless browser (Playwright driving Debian's Chromium): pages load
without console errors or network requests, charts and the map render, the sector filter and the sortable
building table work, the numbers equal the marts, axe-core finds no serious accessibility violations, and
hostile user text (script, HTML, formulas, control characters) is shown literally and downloaded as CSV cells a
spreadsheet will not run. Screenshots go to test-artefacts/."""

from __future__ import annotations

import csv
import decimal
import functools
import http.server
import io
import json
import re
import shutil
import threading
from pathlib import Path

import duckdb
import pytest
from conftest import real_file

from pipeline.contract.codes import labels
from pipeline.contract.parameters import (
    BENCHMARK_MIN_DAEKNING_PCT,
    COMPARABLE_MAX_COVERAGE_DIFFERENCE,
    SUPPRESSION_MIN_KOMMUNER,
    min_kommuner,
    parameter_text,
)
from pipeline.pages import script_json
from pipeline.report import change_note, write_report
from pipeline.settings import REPO_ROOT
from pipeline.text import clean_text, da_number, da_number_short, safe_cell

ARTEFACTS = REPO_ROOT / "test-artefacts"


def writable_copy(release: Path, root: Path) -> Path:
    """A copy of a (read-only) release that tests may change and write the report into."""
    shutil.copytree(release.resolve(), root, symlinks=True)
    for p in [root, *root.rglob("*")]:
        if not p.is_symlink():
            p.chmod(0o755 if p.is_dir() else 0o644)
    return root


def serve(root: Path):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(scope="module")
def site(demo_home, tmp_path_factory):
    """A copy of the demo release with its report written again, the real municipal boundaries as the
    steward's map file; served by a plain static web server on localhost."""
    home, _ = demo_home
    root = writable_copy(home.current, tmp_path_factory.mktemp("report_site") / "release")
    write_report(root, geojson=real_file("municipalities", "dk_municipalities_magnuslarsen.geojson"))
    server, base = serve(root)
    yield root, base
    server.shutdown()


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
    assert page.evaluate("DATA.kort.skematisk") is None  # the steward's real shapes, not the schematic tiles
    assert page.locator("#kort .scattergeo").count() == 0
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


def test_without_boundaries_the_map_is_schematic_one_tile_per_municipality(demo_home, browser):
    """The demo release as published, without the steward's boundary file (the real ones may not be shipped):
    the national page draws the schematic map of seed kommune_felter, one labelled tile per municipality of
    the release, grey without data and coloured with, says it is schematic, and names the chart and its data."""
    from axe_playwright_python.sync_playwright import Axe

    home, _ = demo_home
    root = home.current.resolve()
    server, base = serve(root)
    try:
        page, seen = open_page(browser, f"{base}/report/index.html")
        page.wait_for_selector("#kort .choroplethlocation")
        assert seen["errors"] == [] and local_only(seen["requests"], base) == []
        kommuner = dict(mart(root, "SELECT kommunekode, kommunenavn FROM dim_kommune"))
        assert len(kommuner) == 98
        kort = page.evaluate("DATA.kort")
        assert kort["skematisk"] is True
        props = [f["properties"] for f in kort["features"]]
        assert sorted(p["kommunekode"] for p in props) == sorted(kommuner)  # each exactly once
        assert all(p["navn"] == kommuner[p["kommunekode"]] for p in props)
        for f in kort["features"]:  # a closed square
            [ring] = f["geometry"]["coordinates"]
            assert len(ring) == 5 and ring[0] == ring[-1] and len({tuple(p) for p in ring}) == 4
        # every tile grey, the municipalities with data of the shown year coloured on top
        figure = page.locator("#figur").input_value()
        [(year,)] = mart(
            root,
            "SELECT max(aar) FROM mart_benchmark WHERE NOT undertrykt AND noegletal = ? AND sektor = 'alle'",
            [figure],
        )
        with_data = page.evaluate(
            "([f, y]) => NATIONAL.kommuner_vaerdier.filter((r) => r.noegletal === f && r.sektor === 'alle' && r.aar === y).length",
            [figure, year],
        )
        assert with_data >= 1
        assert page.locator("#kort .choroplethlocation").count() == 98 + with_data
        fills = {
            page.locator("#kort .choroplethlocation").nth(i).evaluate("e => e.style.fill")
            for i in range(98, 98 + with_data)
        }
        assert fills and all(f != "rgb(230, 230, 230)" for f in fills)  # not the grey of no data
        # each tile's label drawn on it
        etiketter = page.locator("#kort .scattergeo text").evaluate_all("ts => ts.map((t) => t.textContent)")
        assert sorted(etiketter) == sorted(p["etiket"] for p in props)
        # named as schematic: the caption, the chart's accessible name, the data table of municipality names
        section = page.locator("section", has=page.locator("#kort"))
        assert "Skematisk kort: ét felt pr. kommune" in section.inner_text()
        assert page.locator("#kort").get_attribute("role") == "img"
        assert page.locator("#kort").get_attribute("aria-label").startswith("Skematisk kort over Danmark")
        page.locator("#kort-h ~ details summary").click()
        assert page.locator("#kort-tabel tbody tr").count() == with_data
        assert set(page.locator("#kort-tabel tbody th").all_inner_texts()) <= set(kommuner.values())
        results = Axe().run(page)
        serious = [
            v["id"] for v in results.response["violations"] if v.get("impact") in ("serious", "critical")
        ]
        assert not serious
        shot(page, "rapport_skematisk_kort.png")
        page.close()
        # on a phone: the grid fills the width, without labels (they would overlap)
        phone = browser.new_page(viewport={"width": 390, "height": 844})
        phone.goto(f"{base}/report/index.html")
        phone.wait_for_selector("#kort .choroplethlocation")
        box = phone.locator("#kort .choroplethlayer").bounding_box()
        assert 250 <= box["width"] <= 390 and box["x"] >= 0
        assert phone.locator("#kort .scattergeo text").count() == 0
        phone.close()
    finally:
        server.shutdown()


def test_the_tile_seed_places_every_municipality_once_roughly_by_geography():
    """seeds/kommune_felter.csv: exactly the 98 municipalities of seeds/kommuner.csv (4-character codes), each
    on its own tile with its own label, in a grid that keeps Denmark's rough shape."""
    from pipeline.contract.codes import seed_rows

    tiles = {r["kommunekode"]: r for r in seed_rows("kommune_felter.csv")}
    assert len(tiles) == len(seed_rows("kommune_felter.csv"))  # no code twice
    assert set(tiles) == {r["kommunekode"] for r in seed_rows("kommuner.csv")} and len(tiles) == 98
    assert all(re.fullmatch(r"\d{4}", k) for k in tiles)
    cell = {k: (int(r["kolonne"]), int(r["raekke"])) for k, r in tiles.items()}
    assert len(set(cell.values())) == 98 and min(min(c) for c in cell.values()) == 0
    assert len({r["etiket"] for r in tiles.values()}) == 98
    col, row = {k: c for k, (c, _) in cell.items()}, {k: r for k, (_, r) in cell.items()}
    names = {r["kommunenavn"]: r["kommunekode"] for r in seed_rows("kommuner.csv")}

    def n(name: str) -> str:
        return names[name]

    assert col[n("Bornholm")] == max(col.values())  # far right
    assert row[n("Hjørring")] == row[n("Frederikshavn")] == 0  # North Jutland on top
    assert col[n("Hjørring")] < col[n("Gribskov")] and row[n("Aalborg")] < row[n("Aarhus")] < row[n("Odense")]
    assert col[n("Esbjerg")] < col[n("Odense")] < col[n("Roskilde")] < col[n("København")]  # west to east
    assert row[n("Sønderborg")] > row[n("Kolding")] and row[n("Lolland")] > row[n("Næstved")]  # the south
    # the islands beside their neighbours
    for island, shore in (
        ("Fanø", "Esbjerg"),
        ("Læsø", "Frederikshavn"),
        ("Samsø", "Odder"),
        ("Ærø", "Faaborg-Midtfyn"),
    ):
        (a, b), (c, d) = cell[n(island)], cell[n(shore)]
        assert max(abs(a - c), abs(b - d)) <= 1, island
    # the capital's municipalities on the right of Zealand's others
    assert (
        min(col[k] for k, r in tiles.items() if r["kommunekode"] in ("0101", "0147", "0185"))
        > col[n("Holbæk")]
    )


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
    # the change against last year only where the mart says it is comparable, otherwise why not
    comparable = dict(
        mart(
            root,
            "SELECT noegletal, sammenlignelig FROM mart_kommune_sammenligning WHERE kommunekode = ? AND aar = ? "
            "AND sektor = 'alle'",
            [k, aar],
        )
    )
    for code, ok in comparable.items():
        dd = page.locator(f'#kort-liste li[data-noegletal="{code}"] dd.aendring')
        assert dd.get_attribute("data-sammenlignelig") == str(ok).lower(), code
        text = dd.inner_text()
        assert text.startswith(("Ikke sammenlignelig", "Ingen værdi")) != ok, (code, text)
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
    # sectors by their Danish names (seed sektorer), in the filter and the table
    label = labels("sektor")[sektor]
    assert page.locator(f'#sektor option[value="{sektor}"]').inner_text() == label != sektor
    page.select_option("#sektor", sektor)
    assert page.locator("#bygninger tbody tr").count() == n_sektor < n_all
    assert all(
        page.locator("#bygninger tbody tr").nth(i).locator("td").nth(0).inner_text() == label
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


def feedback_page(root: Path, k: str) -> Path:
    return sorted((root / "kommuner" / k).glob("tilbagemelding_*.html"))[-1]


def test_every_page_of_the_release_has_the_one_base_layout(site):
    """The report's pages and the municipalities' feedback pages all extend pipeline/pages' base layout: the
    same document, skip link, landmarks, shared assets and a footer that names the published release."""
    root, _ = site
    release_id = json.loads((root / "_manifest.json").read_text(encoding="utf-8"))["release_id"]
    pages = [*(root / "report").glob("*.html"), *(root / "kommuner").glob("*/*.html")]
    assert {p.name.split("_")[0] for p in pages} == {
        "index.html",
        "metode.html",
        "rapport.html",
        "tilbagemelding",
    }
    for path in pages:
        html = path.read_text(encoding="utf-8")
        assert html.startswith('<!doctype html>\n<html lang="da">'), path
        assert '<a class="skip" href="#indhold">' in html and '<main id="indhold">' in html, path
        assert f"<footer><p>Udgivelse {release_id}." in html, path  # the release's id, not its staging folder
        assert re.search(r'href="(\.\./)+report/assets/report\.css"', html), path


def test_pages_work_opened_from_disk(site, browser):
    root, _ = site
    k = municipality_with_sectors(root)
    for path in (
        root / "report" / "index.html",
        root / "kommuner" / k / "rapport.html",
        root / "report" / "metode.html",
        feedback_page(root, k),
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
    rows = page.locator("#katalog tbody tr")
    n, provisional = mart(root, "SELECT count(*), count(*) FILTER (er_foreloebig) FROM dim_noegletal")[0]
    assert rows.count() == n
    assert page.locator("#katalog tbody .provisional").count() == provisional > 0
    assert f"færre end {min_kommuner(SUPPRESSION_MIN_KOMMUNER)} kommuner" in page.content()
    # every unit conversion of the release with its factor (Danish format) and its basis
    conversions = mart(root, "SELECT enhed, faktor, grundlag FROM enhedsomregning")
    shown = {
        tuple(r.locator("th, td").nth(i).inner_text() for i in (1, 2, 4))
        for r in page.locator("#omregning tbody tr").all()
    }
    assert shown == {(e, da_number_short(f, 6), g) for e, f, g in conversions}
    assert ("Nm3", "11", "nedre brændværdi (foreløbig)") in shown


def test_no_serious_accessibility_violations(site, browser):
    from axe_playwright_python.sync_playwright import Axe

    root, base = site
    k = municipality_with_sectors(root)
    axe = Axe()
    for url in (
        f"{base}/report/index.html",
        f"{base}/kommuner/{k}/rapport.html",
        f"{base}/report/metode.html",
        f"{base}/kommuner/{k}/{feedback_page(root, k).name}",
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


def test_a_change_is_shown_only_where_comparable_and_otherwise_why(demo_home, browser, tmp_path):
    """Four figures of one municipality made into the four cases in a copy of the release (the mart's
    `sammenlignelig` set as dbt would): comparable (the change shown), coverage 62 % against 91 %, the
    previous year outside the benchmark, no previous year. The texts quote the release's own parameters: the
    copy's comparable-change limit is 20 points, not the seed's, and its gas conversion has another basis."""
    home, _ = demo_home
    root = writable_copy(home.current, tmp_path / "release")
    k = municipality_with_sectors(root)
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    try:
        [(aar,)] = con.execute(
            "SELECT max(aar) FROM mart_kommune_sammenligning WHERE kommunekode = ?", [k]
        ).fetchall()
        figures = con.execute(
            "SELECT noegletal, aendring_pct FROM mart_kommune_sammenligning WHERE kommunekode = ? AND aar = ? "
            "AND sektor = 'alle' AND sammenlignelig AND aendring_pct IS NOT NULL ORDER BY noegletal LIMIT 4",
            [k, aar],
        ).fetchall()
        assert len(figures) == 4
        (same, pct), (coverage, _), (outside, _), (first, _) = figures
        key = "kommunekode = ? AND sektor = 'alle' AND noegletal = ?"
        for aar_, cov in ((aar, 62.0), (aar - 1, 91.0)):
            con.execute(
                f"UPDATE mart_noegletal_kommune SET daekning_pct = ? WHERE aar = ? AND {key}",
                [cov, aar_, k, coverage],
            )
        con.execute(
            f"UPDATE mart_noegletal_kommune SET daekning_pct = 40, indgaar_i_benchmark = false WHERE aar = ? AND {key}",
            [aar - 1, k, outside],
        )
        for table in ("mart_noegletal_kommune", "mart_kommune_sammenligning"):
            con.execute(f"DELETE FROM {table} WHERE aar = ? AND {key}", [aar - 1, k, first])
        for code in (coverage, outside, first):
            con.execute(
                f"UPDATE mart_kommune_sammenligning SET sammenlignelig = false WHERE aar = ? AND {key}",
                [aar, k, code],
            )
        con.execute(
            "UPDATE parametre SET vaerdi = 20 WHERE parameter = ?", [COMPARABLE_MAX_COVERAGE_DIFFERENCE]
        )
        con.execute(
            "UPDATE enhedsomregning SET grundlag = 'nedre brændværdi (udgivelsens egen kilde)' "
            "WHERE forsyningsart = 'naturgas' AND enhed = 'Nm3'"
        )
    finally:
        con.close()
    write_report(root)
    server, base = serve(root)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(f"{base}/kommuner/{k}/rapport.html")
        page.wait_for_selector("#kort-liste li.card")

        def change(code):
            dd = page.locator(f'#kort-liste li[data-noegletal="{code}"] dd.aendring')
            return dd.get_attribute("data-sammenlignelig"), dd.inner_text()

        ok, text = change(same)
        assert ok == "true" and text.startswith(f"{'+' if pct > 0 else ''}{da_number(pct, 1)} % ("), text
        n_min = parameter_text(BENCHMARK_MIN_DAEKNING_PCT)
        assert change(coverage) == (
            "false",
            f"Ikke sammenlignelig: dækningen er 62 % i {aar} mod 91 % i {aar - 1} (mere end 20 procentpoint forskel).",
        )
        assert change(outside) == (
            "false",
            f"Ikke sammenlignelig: indgår ikke i benchmark i {aar - 1} (dækning 40 %, under {n_min} %).",
        )
        assert change(first) == ("false", f"Ingen værdi for {aar - 1} at sammenligne med.")
        shot(page, f"rapport_kommune_{k}_aendring.png")
        page.goto(f"{base}/report/metode.html")
        text = page.locator("main").inner_text()
        assert "afviger højst 20 procentpoint" in text
        assert "nedre brændværdi (udgivelsens egen kilde)" in text
    finally:
        page.close()
        server.shutdown()


def test_change_note_says_why_a_change_is_not_comparable():
    params = {BENCHMARK_MIN_DAEKNING_PCT: 50.0, COMPARABLE_MAX_COVERAGE_DIFFERENCE: 10.0}
    row = {
        "aar": 2024,
        "vaerdi": 10.0,
        "daekning_pct": 62.0,
        "indgaar_i_benchmark": True,
        "har_forrige": True,
        "forrige_vaerdi": 8.0,
        "forrige_daekning_pct": 91.0,
        "forrige_indgaar_i_benchmark": True,
        "sammenlignelig": False,
    }
    assert change_note({**row, "sammenlignelig": True}, params) is None
    assert change_note(row, params) == (
        "Ikke sammenlignelig: dækningen er 62 % i 2024 mod 91 % i 2023 (mere end 10 procentpoint forskel)."
    )
    assert change_note({**row, "daekning_pct": 90.4, "forrige_daekning_pct": 80.3}, params) == (
        "Ikke sammenlignelig: dækningen er 90,4 % i 2024 mod 80,3 % i 2023 (mere end 10 procentpoint forskel)."
    )
    assert change_note(
        {**row, "forrige_indgaar_i_benchmark": False, "forrige_daekning_pct": 40.0}, params
    ) == ("Ikke sammenlignelig: indgår ikke i benchmark i 2023 (dækning 40 %, under 50 %).")
    both_out = {
        **row,
        "forrige_indgaar_i_benchmark": False,
        "indgaar_i_benchmark": False,
        "daekning_pct": 45.5,
    }
    assert change_note({**both_out, "forrige_daekning_pct": 40.0}, params) == (
        "Ikke sammenlignelig: indgår ikke i benchmark i 2023 og 2024 (dækning 40 % og 45,5 %, under 50 %)."
    )
    no_previous = {**row, "har_forrige": False, "forrige_vaerdi": None, "forrige_daekning_pct": None}
    assert change_note(no_previous, params) == "Ingen værdi for 2023 at sammenligne med."


# Building names as a municipality might submit them (or an attacker could): each with the CSV cell the
# download must hold. Formulas get an apostrophe; a name that is just a number and plain text stay as they are.
HOSTILE = {
    '=HYPERLINK("http://x","klik")': '\'=HYPERLINK("http://x","klik")',
    "+1+1": "'+1+1",
    "@SUM(1)": "'@SUM(1)",
    "-1+1": "'-1+1",
    "\tTAB()\rX": "'\tTAB()\rX",
    "-12,5": "-12,5",
    "</script><img src=x onerror=window.__xss=1>": "</script><img src=x onerror=window.__xss=1>",
    'Hal\x00 A\x07; "B"\nC\u2028D': 'Hal\ufffd A\ufffd; "B"\nC\u2028D',
}
HOSTILE_KOMMUNE = "Kommune <b>fed</b> & <!--<script>"
HOSTILE_REASON = "<img src=x onerror=window.__xss=2> dyr"
HOSTILE_STATUS = "<script>window.__xss=3</script> fejl"


def test_hostile_text_is_shown_literally_and_its_csv_cells_cannot_run(demo_home, browser, tmp_path):
    """Hostile names written into a copy of the release's warehouse, the report written again with the
    project's own writer: no script runs, the page works and shows every text as it is (control characters
    as U+FFFD), and the buildings' CSV download neutralises formulas but leaves numbers alone."""
    home, _ = demo_home
    root = writable_copy(home.current, tmp_path / "release")
    k = municipality_with_sectors(root)
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    try:
        aar = con.execute("SELECT max(aar) FROM mart_kommune_sammenligning WHERE kommunekode = ?", [k])
        aar = aar.fetchall()[0][0]
        ids = [
            r[0]
            for r in con.execute(
                "SELECT bygning_id FROM mart_noegletal_bygning WHERE kommunekode = ? AND aar = ? ORDER BY 1",
                [k, aar],
            ).fetchall()
        ]
        assert len(ids) >= len(HOSTILE)
        for bygning_id, navn in zip(ids, HOSTILE, strict=False):
            for table in ("mart_noegletal_bygning", "dim_bygning"):
                con.execute(f"UPDATE {table} SET navn = ? WHERE bygning_id = ?", [navn, bygning_id])
        script = ids[list(HOSTILE).index("</script><img src=x onerror=window.__xss=1>")]
        con.execute(
            "UPDATE mart_noegletal_bygning SET naermere_eftersyn = true, naermere_eftersyn_aarsag = ?, "
            "samlet_udgift_pr_m2 = -12.4, vedligeholdelsestilstand = 3 WHERE bygning_id = ? AND aar = ?",
            [HOSTILE_REASON, script, aar],
        )
        con.execute("UPDATE dim_kommune SET kommunenavn = ? WHERE kommunekode = ?", [HOSTILE_KOMMUNE, k])
        con.execute(
            "UPDATE mart_indberetning_status SET kvalitet_besked = ? WHERE kommunekode = ?",
            [HOSTILE_STATUS, k],
        )
    finally:
        con.close()
    write_report(root)
    server, base = serve(root)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    try:
        seen = {"errors": [], "requests": [], "dialogs": []}
        page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: seen["errors"].append(str(e)))
        page.on("request", lambda r: seen["requests"].append(r.url))
        page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
        page.goto(f"{base}/kommuner/{k}/rapport.html")
        page.wait_for_load_state("load")
        page.wait_for_selector("#udgift-tilstand .main-svg", timeout=10_000)
        # nothing ran, nothing was fetched, the page's own script worked
        assert page.evaluate("window.__xss") is None
        assert seen["dialogs"] == [] and seen["errors"] == []
        assert [r for r in seen["requests"] if r.rsplit("/", 1)[-1] == "x"] == []
        assert page.locator("main img").count() == 0
        # every text shown as it is
        assert page.locator("h1").text_content() == HOSTILE_KOMMUNE
        assert sorted(page.locator("#bygninger tbody th").all_text_contents()) == sorted(
            clean_text(n) for n in HOSTILE
        )
        assert (
            f"</script><img src=x onerror=window.__xss=1>: {HOSTILE_REASON}"
            in page.locator("#eftersyn li").all_text_contents()
        )
        assert HOSTILE_STATUS in page.locator("#kvalitet-h ~ .kontroller li").all_text_contents()
        # Plotly's labels
        assert HOSTILE_KOMMUNE in page.locator("#rangering .xtick text").all_text_contents()
        # the buildings' CSV: UTF-8 with BOM, `;`-separated, quoted where needed, formulas neutralised
        with page.expect_download() as download:
            page.click("#bygninger-csv")
        raw = Path(download.value.path()).read_bytes()
    finally:
        page.close()
        server.shutdown()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8")[1:], newline=""), delimiter=";"))
    header, body = rows[0], rows[1:]
    assert len(body) == len(ids) and all(len(r) == len(header) for r in body)
    cells = {r[0]: r for r in body}
    for navn, cell in HOSTILE.items():
        assert cell == safe_cell(navn)  # the rule is pipeline.text's
        assert cell in cells, (navn, list(cells))
    expense = next(i for i, h in enumerate(header) if h.startswith("Samlet udgift"))
    # rounded to the figure's decimals (0 for kr/m²), with a decimal comma
    assert cells["</script><img src=x onerror=window.__xss=1>"][expense] == "-12"
    for r in body:  # every figure a plain Danish number or empty, never "–", never with an apostrophe
        for v in r[2:-1]:
            assert v == "" or re.fullmatch(r"-?\d+(,\d+)?", v), v


# Values where the spreadsheet rule is easy to get wrong; the page's rule must give what Python's does
# fmt: off
TRICKY = [
    "", "Skole 1", "=1+1", "+1+1", "-1+1", "@SUM(1)", "\t1", "\r1", "\n=1", " =1", "'=1", "-12,5", "+12.5",
    "-1.234,5", "1e5", "-1e-5", "-1E+5", "-", "+", "--1", "-1,", "-,5", "-1 ", "-0", "+-1", "1-1", "-١٢",
    "+１２", "=\x00", "\x00=1", "a\x07b\x7f", "\ud800", "=\udfff", "x\ufffe", "😀", "=😀", "-1\u2028",
]
# fmt: on


def test_the_pages_csv_rule_is_pythons_safe_cell(site, browser):
    root, _ = site
    page = browser.new_page()
    try:
        page.goto((root / "report" / "metode.html").as_uri())
        page.wait_for_load_state("load")
        # as code points: lone surrogates and NUL survive the way in and out
        out = page.evaluate(
            "(values) => values.map((cps) => Array.from(csvCell(String.fromCodePoint(...cps)),"
            " (c) => c.codePointAt(0)))",
            [[ord(c) for c in v] for v in TRICKY],
        )
    finally:
        page.close()
    got = {v: "".join(map(chr, cps)) for v, cps in zip(TRICKY, out, strict=True)}
    assert got == {v: safe_cell(v) for v in TRICKY}


def test_embedded_json_cannot_end_its_script_or_break_utf8():
    hostile = {"navn": "</script><!--<script>&\u2028\u2029\ud800", "n": 1}
    text = script_json(hostile)
    assert not set("<>&\u2028\u2029") & set(text)
    text.encode("utf-8")  # a lone surrogate is escaped, not written
    assert json.loads(text) == hostile


def test_every_page_of_the_release_works_offline(demo_home, browser):
    """Every HTML page a release holds (the report, the municipalities' pages and feedback, GX's Data Docs in
    quality/, the docs), opened from disk with the network blocked: nothing is fetched from the network and no
    script fails. GX's Data Docs load their scripts, styles and fonts from the release (quality/static/vendor/):
    the index lists the validations and Bootstrap styles the page."""
    home, _ = demo_home
    release = home.current.resolve()
    pages = sorted(release.rglob("*.html"))
    assert any(p.is_relative_to(release / "quality") for p in pages) and len(pages) > 20
    context = browser.new_context()
    fetched: list[str] = []

    def route(r):
        if r.request.url.startswith("file:"):
            return r.continue_()
        fetched.append(r.request.url)
        return r.abort()

    context.route("**/*", route)
    for path in pages:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        assert errors == [], path
        if path.parent.parent == release / "quality" and path.name == "index.html":
            page.wait_for_selector("table tbody tr")
            assert page.locator("table tbody tr").count() > 0, path  # the validations are listed
            assert "apple-system" in page.evaluate("getComputedStyle(document.body).fontFamily"), path
        page.close()
    context.close()
    assert fetched == []


def test_the_published_pages_name_their_release_not_a_staging_folder(demo_home):
    """The pages the build itself wrote (report and feedback, while the release was still in its staging
    folder) quote the release's id in the footer."""
    home, _ = demo_home
    release = home.current.resolve()
    release_id = json.loads((release / "_manifest.json").read_text(encoding="utf-8"))["release_id"]
    assert release.name == release_id
    pages = [*(release / "report").glob("*.html"), *(release / "kommuner").glob("*/*.html")]
    assert len(pages) > 4
    for path in pages:
        footer = re.search(r"<footer><p>Udgivelse ([^.<]*)\.", path.read_text(encoding="utf-8"))
        assert footer and footer[1] == release_id, path


def half_up(x: float, decimals: int) -> decimal.Decimal:
    """x rounded as the browser rounds (Intl.NumberFormat, toFixed): the exact binary value, halves away from 0."""
    return decimal.Decimal(x).quantize(decimal.Decimal(1).scaleb(-decimals), rounding=decimal.ROUND_HALF_UP)


def test_each_card_says_whether_the_value_is_better_or_worse_than_the_median(site, browser):
    """Every card of a municipality: better or worse than the national median by the catalogue's direction,
    neutral figures as neutral (never better or worse), each with its own icon shape beside the words; the
    percentile in words; a count in words ("12 bygninger")."""
    root, base = site
    k = municipality_with_sectors(root)
    [(aar,)] = mart(root, "SELECT max(aar) FROM mart_kommune_sammenligning WHERE kommunekode = ?", [k])
    rows = mart(
        root,
        "SELECT s.noegletal, s.vaerdi, s.landsmedian, s.percentil, s.rang, s.n, d.retning, d.decimaler "
        "FROM mart_kommune_sammenligning s JOIN dim_noegletal d USING (noegletal) "
        "WHERE s.kommunekode = ? AND s.aar = ? AND s.sektor = 'alle'",
        [k, aar],
    )
    page, seen = open_page(browser, f"{base}/kommuner/{k}/rapport.html")
    assert seen["errors"] == []
    icons = {"bedre": "▲", "daarligere": "▼", "som": "●", "neutral": "◆", "ukendt": "?"}
    kinds = set()
    for code, v, median, pct, rang, n, retning, dec in rows:
        card = page.locator(f'#kort-liste li[data-noegletal="{code}"]')
        said = card.locator("p.vurdering")
        if v is None or median is None:
            kind = "ukendt"
        elif retning == "neutral":
            kind = "neutral"
        elif half_up(v, dec) == half_up(median, dec):
            kind = "som"
        else:
            kind = "bedre" if (v < median) == (retning == "lavere_er_bedre") else "daarligere"
        kinds.add(kind)
        assert said.get_attribute("data-vurdering") == kind, code
        assert said.locator(".ikon").inner_text() == icons[kind], code
        assert said.locator(".ikon").get_attribute("aria-hidden") == "true"  # the words carry the meaning
        text = said.inner_text()
        words = {
            "bedre": "Bedre end landsmedianen",
            "daarligere": "Dårligere end landsmedianen",
            "som": "På niveau med landsmedianen",
            "ukendt": "Ingen",
        }
        if kind == "neutral":
            assert "Neutralt nøgletal" in text and "Bedre" not in text and "Dårligere" not in text, code
        else:
            assert words[kind] in text, (code, text)
        placing = card.locator("dd.placering").inner_text()
        if pct is None:
            assert "%" not in placing.split(":")[0] and placing.startswith(("Ingen placering", "Indgår ikke"))
        elif retning == "neutral":
            assert placing.startswith(f"Højere end {half_up(pct, 0)} % af de {n - 1} andre kommuner"), placing
            assert "Bedre" not in placing and "neutralt" in placing
        else:
            assert (
                placing
                == f"Bedre end {half_up(pct, 0)} % af de {n - 1} andre kommuner (nr. {rang} af {n}, 1 = bedst)."
            ), placing
    assert {"neutral"} < kinds and kinds & {"bedre", "daarligere"}, kinds  # the demo has both kinds
    [(antal,)] = [(v,) for code, v, *_ in rows if code == "antal_bygninger"]
    assert (
        page.locator('#kort-liste li[data-noegletal="antal_bygninger"] .value').inner_text()
        == f"{da_number(antal, 0)} bygninger"
    )
    assert not [t for t in page.locator("#kort-liste .value").all_inner_texts() if t.endswith(" antal")]
    # the page's own number formats: thousands separators on a count, the count's noun as its unit
    assert page.evaluate("withUnit(12345, figure('antal_bygninger'))") == "12.345 bygninger"
    assert page.evaluate("columnLabel(figure('antal_bygninger'))") == "Antal bygninger"
    shot(page, f"rapport_kommune_{k}_kort.png")
    page.close()


@pytest.mark.parametrize("width", [390, 1366])
def test_no_page_is_wider_than_the_screen(site, browser, width):
    """A phone (390 px) and a laptop (1366 px): no page of the report scrolls sideways; a wide table scrolls
    inside its own box, the key-figure drop-down fits, the cards reflow (one column on the phone)."""
    root, base = site
    k = municipality_with_sectors(root)
    urls = [
        "report/index.html",
        "report/metode.html",
        f"kommuner/{k}/rapport.html",
        f"kommuner/{k}/{feedback_page(root, k).name}",
    ]
    for url in urls:
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(f"{base}/{url}")
        page.wait_for_load_state("load")
        if url.endswith(("index.html", "rapport.html")):
            page.wait_for_selector(".main-svg")
        page.wait_for_timeout(300)
        widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], (url, width, widths)
        for select in page.locator("select").all():
            assert select.bounding_box()["x"] + select.bounding_box()["width"] <= width, (url, width)
        if url.endswith("rapport.html"):
            box = page.locator("#bygninger").locator("xpath=..")
            assert box.get_attribute("class") == "tabel-rul"
            inner, outer = box.evaluate("(b) => [b.scrollWidth, b.clientWidth]")
            assert (inner > outer) == (width == 390), (width, inner, outer)  # it scrolls inside on the phone
            tops = {round(c.bounding_box()["y"]) for c in page.locator("#kort-liste li.card").all()}
            n = page.locator("#kort-liste li.card").count()
            assert (len(tops) == n) == (width == 390), (width, len(tops), n)
        shot(page, f"bredde_{width}_{url.replace('/', '_')}.png")
        page.close()


def csv_download(page, button: str) -> list[list[str]]:
    with page.expect_download() as download:
        page.click(button)
    raw = Path(download.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw.decode("utf-8")[1:], newline=""), delimiter=";"))


def test_csv_downloads_open_in_danish_excel(site, browser):
    """The buildings' and the national distribution's CSV: numbers rounded to the catalogue's decimals with a
    decimal comma and no thousands separator, empty where there is no value (never "–")."""
    root, base = site
    k = municipality_with_sectors(root)
    [(aar,)] = mart(root, "SELECT max(aar) FROM mart_kommune_sammenligning WHERE kommunekode = ?", [k])
    decimals = dict(mart(root, "SELECT noegletal, decimaler FROM dim_noegletal"))
    page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    try:
        page.goto(f"{base}/kommuner/{k}/rapport.html")
        page.wait_for_selector("#bygninger tbody tr")
        rows = csv_download(page, "#bygninger-csv")
        columns = page.evaluate("DATA.bygning_kolonner")
        page.goto(f"{base}/report/index.html")
        page.wait_for_selector("#fordeling-tabel tbody tr", state="attached")
        figure = page.locator("#figur").input_value()
        national = csv_download(page, "#fordeling-csv")
    finally:
        page.close()

    def cell(x, dec):
        if x is None:
            return ""
        return str(abs(d) if (d := half_up(x, dec)) == 0 else d).replace(".", ",")  # -0 -> 0

    cols = ", ".join(columns)
    expected = {
        navn: [cell(v, decimals[c]) for c, v in zip(columns, values, strict=True)]
        for navn, *values in mart(
            root,
            f"SELECT navn, {cols} FROM mart_noegletal_bygning WHERE kommunekode = ? AND aar = ?",
            [k, aar],
        )
    }
    body = {r[0]: r[2 : 2 + len(columns)] for r in rows[1:]}
    assert body == expected
    flat = [v for r in body.values() for v in r]
    assert (
        "" in flat and any("," in v for v in flat) and "–" not in flat
    )  # the demo has empty and decimal cells
    bench = mart(
        root,
        "SELECT aar, n_kommuner, p25, median, p75 FROM mart_benchmark WHERE noegletal = ? AND sektor = 'alle' "
        "AND sammenligningsgruppe = 'alle' ORDER BY aar",
        [figure],
    )
    dec = decimals[figure]
    assert national[1:] == [
        [str(y), str(n), cell(p25, dec), cell(med, dec), cell(p75, dec)] for y, n, p25, med, p75 in bench
    ]
