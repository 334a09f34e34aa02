"""The benchlearning report: a static site written into a release, in Danish, opened from disk or any static
web server with no network access.

  report/index.html            national page: each figure's distribution across municipalities by year
                               (median, quartiles; suppressed groups shown as suppressed) and a map
  report/metode.html           every figure's definition from the catalogue, provisional models marked, the
                               rules with their thresholds and the unit conversions with their basis
  report/assets/               Plotly (shipped, not fetched), report.js, report.css
  report/data/nationalt.js     the municipality-level figures, shared by every page
  kommuner/<kode>/rapport.html one page per municipality, in its own folder: cards, ranking, trend, sector
                               filter, its buildings, cost vs condition, its data-quality feedback

Every chart has its data as a table beside it and a CSV download. The numbers come from the release's own
warehouse.duckdb, so the report shows exactly what was published; so do the rules' thresholds (the release's
copy of seed parametre) and the unit conversions (enhedsomregning, forsyningsarter): no text here types one."""

from __future__ import annotations

import html
import json
import math
import re
import shutil
from pathlib import Path

from pipeline.contract.parameters import (
    BENCHMARK_MIN_DAEKNING_PCT,
    COMPARABLE_MAX_COVERAGE_DIFFERENCE,
    DAEKNING_MIN_PCT,
    EFTERSYN_ANVENDELSESGRAD_UNDER,
    EFTERSYN_FRAKTIL_MIN_KOMMUNER,
    EFTERSYN_TILSTAND_MIN,
    EFTERSYN_UDGIFT_FRAKTIL,
    EFTERSYN_UDNYTTELSESGRAD_UNDER,
    SUPPRESSION_MIN_KOMMUNER,
)
from pipeline.faults import fault_point
from pipeline.settings import REPO_ROOT, connect
from pipeline.text import (
    CONTROL_CHARACTERS,
    FORMULA_START,
    PLAIN_NUMBER,
    canonical_kommunekode,
    clean_text,
    da_number_short,
)

ASSETS = REPO_ROOT / "pipeline" / "report_assets"
BUILDING_COLUMNS = (
    "bda_m2",
    "samlet_udgift_pr_m2",
    "el_kwh_pr_m2",
    "varme_kwh_pr_m2",
    "vedligeholdelsestilstand",
    "indeklima_karakter",
    "udnyttelsesgrad_pct",
)
PROVISIONAL = ' <span class="provisional">Foreløbig</span>'
EMPTY_TOPOJSON = {
    "type": "Topology",
    "objects": {
        name: {"type": "GeometryCollection", "geometries": []}
        for name in ("coastlines", "land", "ocean", "lakes", "rivers", "countries", "subunits")
    },
    "arcs": [],
}
GEO_KEYS = ("kommunekode", "KOMKODE", "komkode", "lau_1", "kode")


def _js_regex(pattern: re.Pattern) -> str:
    """A Python regex as JavaScript source (used with the `u` flag): Python's `\\d` on text is any Unicode
    decimal digit (category Nd), JavaScript's only 0-9."""
    return pattern.pattern if pattern.flags & re.ASCII else pattern.pattern.replace(r"\d", r"\p{Nd}")


# pipeline.text.safe_cell's rule, handed to report.js for its CSV downloads: one definition, not two
CELL_RULE = {
    "formel_start": list(FORMULA_START),
    "tal": _js_regex(PLAIN_NUMBER),
    "kontrol": _js_regex(CONTROL_CHARACTERS),
}


def write_report(
    release: Path,
    geojson: Path | None = None,
    out: Path | None = None,
    failures: dict[str, str] | None = None,
) -> list[Path]:
    """Write the report of `release` into `out` (default: the release itself, while it is being published):
    report/ and kommuner/<kode>/rapport.html. Returns the pages. A municipality whose page cannot be written
    gets none, and the reason goes into `failures` (kommunekode -> Danish): one municipality never stops the
    others' pages."""
    import plotly.offline

    out = out or release
    con = connect(release / "warehouse.duckdb", read_only=True)
    try:
        root = out / "report"
        shutil.rmtree(root, ignore_errors=True)
        (root / "assets").mkdir(parents=True)
        (root / "data").mkdir()
        (root / "assets" / "plotly.min.js").write_text(plotly.offline.get_plotlyjs(), encoding="utf-8")
        for name in ("report.js", "report.css"):
            shutil.copyfile(ASSETS / name, root / "assets" / name)
        national = _national_data(con)
        (root / "data" / "nationalt.js").write_text(
            "window.KKM2_NATIONAL = " + _json(national) + ";\n", encoding="utf-8"
        )
        kommuner = _rows(con, "SELECT kommunekode, kommunenavn FROM dim_kommune ORDER BY kommunekode")
        with_data = sorted({r["kommunekode"] for r in national["kommuner_vaerdier"]})
        names = {k["kommunekode"]: k["kommunenavn"] for k in kommuner}
        pages = [
            _write_national(
                root, national, _map(geojson, names) if geojson else None, with_data, names, release
            ),
            _write_methods(root, national, _conversions(con), release),
        ]
        for k in with_data:
            folder = out / "kommuner" / k
            if out != release:  # the feedback pages the municipality page links to
                folder.mkdir(parents=True, exist_ok=True)
                for fb in (release / "kommuner" / k).glob("tilbagemelding_*.html"):
                    shutil.copyfile(fb, folder / fb.name)
            try:
                fault_point("rapport", k)
                pages.append(_write_municipality(con, out, k, names[k], national))
            except Exception as e:
                (folder / "rapport.html").unlink(missing_ok=True)
                if failures is not None:
                    failures[k] = (
                        f"Kommunens rapportside kunne ikke skrives (intern fejl: {type(e).__name__})."
                    )
        return pages
    finally:
        con.close()


# ------------------------------------------------------------------------------------------------ data


def _rows(con, sql: str, params=None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, map(_clean, r), strict=True)) for r in cur.fetchall()]


def _clean(value):
    """A warehouse value made safe for the pages: text through clean_text (control characters, lone
    surrogates), NaN and infinities, which JSON cannot hold, as null."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# In a <script> element the HTML parser acts on `</script` and `<!--`; U+2028/2029 end a line in older
# JavaScript; a lone surrogate cannot be written as UTF-8. JSON has these only inside strings, where \uXXXX
# means the same character.
_JSON_UNSAFE = re.compile("[<>&\u2028\u2029\ud800-\udfff]")


def _json(data) -> str:
    text = json.dumps(data, ensure_ascii=False, default=str, separators=(",", ":"))
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


def _national_data(con) -> dict:
    return {
        "katalog": _rows(
            con,
            "SELECT noegletal, navn, enhed, decimaler, retning, definition, model_version, er_foreloebig "
            "FROM dim_noegletal ORDER BY noegletal",
        ),
        "kommuner_vaerdier": _rows(
            con,
            "SELECT m.kommunekode, k.kommunenavn, m.aar, m.sektor, m.noegletal, m.vaerdi, m.daekning_pct "
            "FROM mart_noegletal_kommune m JOIN dim_kommune k USING (kommunekode) "
            "WHERE m.indgaar_i_benchmark AND m.vaerdi IS NOT NULL ORDER BY ALL",
        ),
        "benchmark": _rows(
            con,
            "SELECT aar, sektor, noegletal, n_kommuner, undertrykt, median, p25, p75 FROM mart_benchmark "
            "WHERE sammenligningsgruppe = 'alle' ORDER BY ALL",
        ),
        "sektorer": [
            _clean(r[0])
            for r in con.execute(
                "SELECT DISTINCT sektor FROM mart_noegletal_kommune ORDER BY sektor <> 'alle', sektor"
            ).fetchall()
        ],
        "release_id": _clean(con.execute("SELECT any_value(release_id) FROM dim_noegletal").fetchall()[0][0]),
        # the rules' thresholds as this release used them (its copy of seed parametre): code -> value
        "parametre": {
            r["parameter"]: r["vaerdi"] for r in _rows(con, "SELECT parameter, vaerdi FROM parametre")
        },
    }


def _conversions(con) -> list[dict]:
    """The unit conversions the release's consumption figures rest on, with their basis and base unit."""
    return _rows(
        con,
        "SELECT f.label AS forsyningsart, e.enhed, e.faktor, f.basisenhed, e.grundlag, e.model_version "
        "FROM enhedsomregning e JOIN forsyningsarter f ON f.kode = e.forsyningsart "
        "ORDER BY e.forsyningsart, e.faktor, e.enhed",
    )


def _p(params: dict, name: str, scale: float = 1) -> str:
    """A threshold of the release (national data's `parametre`) for a Danish text: 95 -> '95', 3.5 -> '3,5'."""
    return da_number_short(params[name] * scale)


def _pct(x: float | None) -> str:
    return "–" if x is None else da_number_short(x, 1)


def change_note(row: dict, params: dict) -> str | None:
    """Why a municipality's change against the year before is not shown (Danish), or None when it is
    comparable (`sammenlignelig` in mart_kommune_sammenligning: both years' values enter the benchmark and
    their coverage differs by at most `sammenlignelig_max_daekningsforskel_pct` points). `row` holds the
    year's vaerdi, daekning_pct and indgaar_i_benchmark, and the previous year's as forrige_* (har_forrige:
    the previous year has a row at all)."""
    if row["sammenlignelig"]:
        return None
    aar, forrige = row["aar"], row["aar"] - 1
    if not row["har_forrige"] or row["forrige_vaerdi"] is None:
        return f"Ingen værdi for {forrige} at sammenligne med."
    if row["vaerdi"] is None:
        return f"Ingen værdi for {aar} at sammenligne."
    years = [
        (y, cov)
        for y, cov, enters in (
            (forrige, row["forrige_daekning_pct"], row["forrige_indgaar_i_benchmark"]),
            (aar, row["daekning_pct"], row["indgaar_i_benchmark"]),
        )
        if not enters
    ]
    if years:
        return (
            f"Ikke sammenlignelig: indgår ikke i benchmark i {' og '.join(str(y) for y, _ in years)} "
            f"(dækning {' og '.join(_pct(c) + ' %' for _, c in years)}, "
            f"under {_p(params, BENCHMARK_MIN_DAEKNING_PCT)} %)."
        )
    if row["daekning_pct"] is not None and row["forrige_daekning_pct"] is not None:
        return (
            f"Ikke sammenlignelig: dækningen er {_pct(row['daekning_pct'])} % i {aar} mod "
            f"{_pct(row['forrige_daekning_pct'])} % i {forrige} (mere end "
            f"{_p(params, COMPARABLE_MAX_COVERAGE_DIFFERENCE)} procentpoint forskel)."
        )
    return "Ikke sammenlignelig."


def _map(path: Path, names: dict[str, str]) -> dict | None:
    """The steward's boundaries as one MultiPolygon per municipality (islands merged), coordinates rounded to
    ~100 m: small enough to ship in the page."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return None
    polys: dict[str, list] = {}
    for feat in data.get("features") or []:
        props = feat.get("properties") or {}
        raw = next((props[k] for k in GEO_KEYS if props.get(k) not in (None, "")), None)
        k = canonical_kommunekode(str(raw)) if raw is not None else None
        geom = feat.get("geometry") or {}
        if k not in names:
            continue
        parts = [geom["coordinates"]] if geom.get("type") == "Polygon" else geom.get("coordinates") or []
        for poly in parts:
            polys.setdefault(k, []).append([_ring(r) for r in poly])
    features = [
        {
            "type": "Feature",
            "properties": {"kommunekode": k, "navn": names[k]},
            "geometry": {"type": "MultiPolygon", "coordinates": p},
        }
        for k, p in sorted(polys.items())
    ]
    return {"type": "FeatureCollection", "features": features} if features else None


def _ring(ring: list) -> list:
    out = []
    for x, y, *_ in ring:
        pt = [round(x, 3), round(y, 3)]
        if not out or out[-1] != pt:
            out.append(pt)
    return out


# ------------------------------------------------------------------------------------------------ pages


def _page(
    title: str,
    body: str,
    data: dict,
    depth: str,
    release: Path,
    params: dict,
    scripts: tuple[str, ...] = (),
) -> str:
    """One page; `depth` is the way back to the release root ('../' from report/, '../../' from kommuner/x/);
    `params` the release's thresholds."""
    a = f"{depth}report/assets/"
    extra = "".join(f'<script src="{html.escape(s)}"></script>' for s in scripts)
    # Plotly's geo charts fetch a world base map from a CDN unless one is given: an empty one, no network
    geo = "<script>window.PlotlyGeoAssets = {topojson: {world_110m: " + _json(EMPTY_TOPOJSON) + "}};</script>"
    return f"""<!doctype html>
<html lang="da">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} – Nøgletal for kommunale bygninger</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{a}report.css">
</head>
<body>
<a class="skip" href="#indhold">Spring til indholdet</a>
<header>
<p>Nøgletalssamarbejdet om kommunale bygninger</p>
<h1>{html.escape(title)}</h1>
<nav aria-label="Rapportens sider"><ul>
<li><a href="{depth}report/index.html">Landsoverblik</a></li>
<li><a href="{depth}report/metode.html">Metode og definitioner</a></li>
</ul></nav>
</header>
<main id="indhold">
{body}
</main>
<footer><p>Udgivelse {html.escape(release.name)}. Tal med dansk talformat; tomme felter (–) betyder, at nøgletallet
ikke kan beregnes (fx under {_p(params, DAEKNING_MIN_PCT)} % dækning).</p></footer>
<script id="data" type="application/json">{_json({**data, "celleregel": CELL_RULE})}</script>
{geo}
<script src="{a}plotly.min.js"></script>
{extra}
<script src="{a}report.js"></script>
</body>
</html>
"""


def _chart(id_: str, heading: str, intro: str = "") -> str:
    return f"""<section aria-labelledby="{id_}-h">
<h2 id="{id_}-h">{html.escape(heading)}</h2>
{f"<p>{html.escape(intro)}</p>" if intro else ""}
<div id="{id_}" class="chart"></div>
<details><summary>Data som tabel</summary>
<table id="{id_}-tabel"><caption>{html.escape(heading)}</caption><thead></thead><tbody></tbody></table>
</details>
<p><button type="button" id="{id_}-csv">Hent data som CSV</button></p>
</section>"""


def _controls(with_figure: bool = True) -> str:
    fig = '<label for="figur">Nøgletal<select id="figur"></select></label>' if with_figure else ""
    return f'<div class="controls" role="group" aria-label="Filtre">{fig}<label for="sektor">Sektor<select id="sektor"></select></label></div>'


def _write_national(
    root: Path, national: dict, geo: dict | None, kommuner: list[str], names, release
) -> Path:
    links = "".join(
        f'<li><a href="../kommuner/{k}/rapport.html">{html.escape(names[k])}</a></li>' for k in kommuner
    )
    map_section = (
        _chart("kort", "Kort over Danmark", "Farven viser det valgte nøgletal for seneste år med data.")
        if geo
        else '<section aria-labelledby="kort-h"><h2 id="kort-h">Kort over Danmark</h2><p class="note">Intet kort: '
        "stewarden har ikke lagt kommunegrænser (reference/kommunegraenser.geojson) i udgivelsens grundlag.</p>"
        "</section>"
    )
    n_min = _p(national["parametre"], SUPPRESSION_MIN_KOMMUNER)
    body = f"""<p>Hvert nøgletal fordelt på kommunerne pr. år, med median og kvartiler. Grupper med færre end {n_min}
kommuner vises ikke (undertrykt).</p>
{_controls()}
{_chart("fordeling", "Fordeling på tværs af kommuner")}
<p id="undertrykt" class="suppressed" aria-live="polite"></p>
{map_section}
<section aria-labelledby="kommuner-h"><h2 id="kommuner-h">Kommunernes sider</h2><ul>{links}</ul></section>"""
    data = {"side": "national", "kort": geo}
    path = root / "index.html"
    path.write_text(
        _page(
            "Landsoverblik",
            body,
            data,
            "../",
            release,
            national["parametre"],
            scripts=("../report/data/nationalt.js",),
        ),
        encoding="utf-8",
    )
    return path


def _write_methods(root: Path, national: dict, conversions: list[dict], release: Path) -> Path:
    p = national["parametre"]
    rows = "".join(
        f'<tr><th scope="row">{html.escape(f["navn"])}</th><td>{html.escape(f["noegletal"])}</td>'
        f"<td>{html.escape(f['enhed'] or '')}</td><td>{html.escape(f['definition'] or '')}</td>"
        f"<td>{html.escape(f['model_version'] or '')}"
        f"{PROVISIONAL if f['er_foreloebig'] else ''}</td></tr>"
        for f in national["katalog"]
    )
    factors = "".join(
        f'<tr><th scope="row">{html.escape(c["forsyningsart"])}</th><td>{html.escape(c["enhed"])}</td>'
        f'<td class="num">{html.escape(da_number_short(c["faktor"], 6))}</td>'
        f"<td>{html.escape(c['basisenhed'])}</td><td>{html.escape(c['grundlag'] or '')}</td>"
        f"<td>{html.escape(c['model_version'] or '')}</td></tr>"
        for c in conversions
    )
    body = f"""<section aria-labelledby="katalog-h"><h2 id="katalog-h">Nøgletallene</h2>
<p>Hvert nøgletal er defineret én gang i kataloget (dim_noegletal). Modeller markeret <span class="provisional">Foreløbig</span>
bygger på foreløbige vægte, grænser eller kontoplaner, fordi KL's officielle tabeller ikke forelå; de kan skiftes
ud uden kodeændringer.</p>
<table id="katalog"><caption>Nøgletalskataloget</caption><thead><tr><th scope="col">Nøgletal</th><th scope="col">Kode</th>
<th scope="col">Enhed</th><th scope="col">Definition</th><th scope="col">Model</th></tr></thead><tbody>{rows}</tbody></table>
</section>
<section aria-labelledby="regler-h"><h2 id="regler-h">Regler</h2>
<p>Tærsklerne står ét sted (parametre, udgivet i exports/parametre.parquet) og gælder for denne udgivelse.</p><ul>
<li><strong>Dækning:</strong> et forbrugsnøgletal beregnes kun for en bygning, hvis målerne dækker mindst
{_p(p, DAEKNING_MIN_PCT)} % af bygningens brugstid i året; ellers er feltet tomt. Kommunens dækning vises ved hvert
nøgletal.</li>
<li><strong>Benchmark:</strong> en kommunes værdi indgår i benchmark, percentil og rangering, når bygningerne med
input udgør mindst {_p(p, BENCHMARK_MIN_DAEKNING_PCT)} % af kommunens areal i sektoren.</li>
<li><strong>Undertrykkelse:</strong> en gruppestatistik (median, kvartiler, gennemsnit) med færre end
{_p(p, SUPPRESSION_MIN_KOMMUNER)} kommuner offentliggøres ikke; den vises som "undertrykt". En percentil beregnes
heller ikke blandt færre end {_p(p, SUPPRESSION_MIN_KOMMUNER)} kommuner.</li>
<li><strong>Ændring fra sidste år:</strong> vises kun, når den er sammenlignelig: begge års værdier indgår i
benchmark, og dækningen afviger højst {_p(p, COMPARABLE_MAX_COVERAGE_DIFFERENCE)} procentpoint mellem årene;
ellers står der hvorfor.</li>
<li><strong>Vurderinger:</strong> tilstands- og indeklimavurderinger føres frem fra tidligere indberetninger i op til
5 år.</li>
<li><strong>Tid:</strong> måneder og år begynder ved dansk midnat; perioder fordeles efter faktiske timer.</li>
<li><strong>Nærmere eftersyn</strong> (foreløbig regel): en bygning markeres, når dens samlede udgift pr. m² ligger
over sektorens {_p(p, EFTERSYN_UDGIFT_FRAKTIL, 100)} %-fraktil (over bygninger i mindst
{_p(p, EFTERSYN_FRAKTIL_MIN_KOMMUNER)} kommuner), og dens vedligeholdelsestilstand er
{_p(p, EFTERSYN_TILSTAND_MIN)} eller dårligere, dens anvendelsesgrad under
{_p(p, EFTERSYN_ANVENDELSESGRAD_UNDER)} % eller dens udnyttelsesgrad under {_p(p, EFTERSYN_UDNYTTELSESGRAD_UNDER)} %;
årsagen står ved bygningen.</li>
</ul></section>
<section aria-labelledby="omregning-h"><h2 id="omregning-h">Omregning af enheder</h2>
<p>Forbrug indberettet i andre enheder regnes om til forsyningsartens basisenhed: mængde × faktor. Grundlaget
siger, hvor faktoren kommer fra (en brændværdi eller en eksakt omregning).</p>
<table id="omregning"><caption>Omregningsfaktorer og deres grundlag</caption><thead><tr><th scope="col">Forsyningsart</th>
<th scope="col">Enhed</th><th scope="col" class="num">Faktor</th><th scope="col">Basisenhed</th>
<th scope="col">Grundlag</th><th scope="col">Model</th></tr></thead><tbody>{factors}</tbody></table>
</section>"""
    path = root / "metode.html"
    path.write_text(
        _page("Metode og definitioner", body, {"side": "metode"}, "../", release, p), encoding="utf-8"
    )
    return path


def _write_municipality(con, out: Path, k: str, name: str, national: dict) -> Path:
    folder = out / "kommuner" / k
    folder.mkdir(parents=True, exist_ok=True)
    aar = con.execute(
        "SELECT max(aar) FROM mart_kommune_sammenligning WHERE kommunekode = ?", [k]
    ).fetchall()[0][0]
    rows = _rows(
        con,
        "SELECT s.aar, s.sektor, s.noegletal, s.vaerdi, s.landsmedian, s.gruppemedian, s.percentil, s.rang, s.n, "
        "s.aendring_pct, s.sammenlignelig, m.daekning_pct, m.indgaar_i_benchmark, f.aar IS NOT NULL AS har_forrige, "
        "f.vaerdi AS forrige_vaerdi, f.daekning_pct AS forrige_daekning_pct, "
        "f.indgaar_i_benchmark AS forrige_indgaar_i_benchmark "
        "FROM mart_kommune_sammenligning s "
        "LEFT JOIN mart_noegletal_kommune m USING (kommunekode, aar, sektor, noegletal) "
        "LEFT JOIN mart_noegletal_kommune f ON f.kommunekode = s.kommunekode AND f.aar = s.aar - 1 "
        "AND f.sektor = s.sektor AND f.noegletal = s.noegletal "
        "WHERE s.kommunekode = ? ORDER BY s.aar, s.sektor, s.noegletal",
        [k],
    )
    # the page shows a change only where it is comparable, and says why where it is not
    helpers = {
        "indgaar_i_benchmark",
        "har_forrige",
        "forrige_vaerdi",
        "forrige_daekning_pct",
        "forrige_indgaar_i_benchmark",
    }
    sammenligning = [
        {
            **{c: v for c, v in r.items() if c not in helpers},
            "aendring_note": change_note(r, national["parametre"]),
        }
        for r in rows
    ]
    cols = ", ".join(BUILDING_COLUMNS)
    bygninger = _rows(
        con,
        f"SELECT bygning_id, navn, sektor, {cols}, naermere_eftersyn, naermere_eftersyn_aarsag "
        "FROM mart_noegletal_bygning WHERE kommunekode = ? AND aar = ? ORDER BY navn",
        [k, aar],
    )
    status = _rows(
        con,
        "SELECT aar, dataset, status, raekker_modtaget, raekker_accepteret, raekker_afvist, kvalitet_besked "
        "FROM mart_indberetning_status WHERE kommunekode = ? ORDER BY aar DESC, dataset",
        [k],
    )
    sektorer = ["alle"] + sorted({b["sektor"] for b in bygninger if b["sektor"]})
    feedback = sorted(folder.glob("tilbagemelding_*.html"), reverse=True)
    fb_links = "".join(
        f'<li><a href="{html.escape(p.name)}">Tilbagemelding for {html.escape(p.stem.split("_")[-1])}</a></li>'
        for p in feedback
    )
    status_rows = "".join(
        f'<tr><th scope="row">{s["aar"]} {html.escape(s["dataset"])}</th><td>{html.escape(s["status"])}</td>'
        f'<td class="num">{s["raekker_modtaget"]}</td><td class="num">{s["raekker_accepteret"]}</td>'
        f'<td class="num">{s["raekker_afvist"]}</td><td>{html.escape(s["kvalitet_besked"] or "")}</td></tr>'
        for s in status
    )
    body = f"""<p>{html.escape(name)}s nøgletal for {aar} mod landsmedianen og kommuner af samme størrelse, og
kommunens egne bygninger. Vælg sektor for at se kort, rangering, udvikling og bygninger for den.</p>
{_controls()}
<section aria-labelledby="kort-h"><h2 id="kort-h">Nøgletal {aar}</h2>
<ul id="kort-liste" class="cards" aria-live="polite"></ul>
<p id="ingen-kort" hidden>Ingen nøgletal for den valgte sektor.</p>
</section>
{_chart("rangering", "Rangering blandt kommunerne", "Søjlerne viser alle kommuner; denne kommune er fremhævet med rødt.")}
{_chart("udvikling", "Udvikling over årene")}
<section aria-labelledby="bygninger-h"><h2 id="bygninger-h">Kommunens bygninger ({aar})</h2>
<p id="antal-bygninger" aria-live="polite"></p>
<p>Klik på en kolonneoverskrift for at sortere.</p>
<table id="bygninger"><caption>Bygningernes nøgletal</caption><thead></thead><tbody></tbody></table>
<p><button type="button" id="bygninger-csv">Hent bygningerne som CSV</button></p>
</section>
<section aria-labelledby="udgift-tilstand-h"><h2 id="udgift-tilstand-h">Udgift pr. m² mod tilstand</h2>
<p>Bygninger til nærmere eftersyn er markeret med røde ruder; hvorfor står i listen under grafen.</p>
<div id="udgift-tilstand" class="chart"></div>
<h3>Bygninger til nærmere eftersyn</h3>
<ul id="eftersyn"></ul>
</section>
<section aria-labelledby="kvalitet-h"><h2 id="kvalitet-h">Datakvalitet</h2>
<ul>{fb_links or "<li>Ingen tilbagemeldinger.</li>"}</ul>
<table><caption>Indberetningernes status</caption><thead><tr><th scope="col">År og datasæt</th><th scope="col">Status</th>
<th scope="col" class="num">Modtaget</th><th scope="col" class="num">Accepteret</th><th scope="col" class="num">Afvist</th>
<th scope="col">Kontroller</th></tr></thead><tbody>{status_rows}</tbody></table>
</section>"""
    data = {
        "side": "kommune",
        "kommunekode": k,
        "kommunenavn": name,
        "aar": aar,
        "sektorer": sektorer,
        "sammenligning": sammenligning,
        "bygninger": bygninger,
        "bygning_kolonner": list(BUILDING_COLUMNS),
    }
    path = folder / "rapport.html"
    path.write_text(
        _page(
            name,
            body,
            data,
            "../../",
            out,
            national["parametre"],
            scripts=("../../report/data/nationalt.js",),
        ),
        encoding="utf-8",
    )
    return path
