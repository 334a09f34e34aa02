"""The benchlearning report: a static site written into a release, in Danish, opened from disk or any static
web server with no network access.

  report/index.html            national page: each figure's distribution across municipalities by year
                               (median, quartiles; suppressed groups shown as suppressed) and a map: the
                               steward's boundaries, or else a schematic map of one tile per municipality
  report/metode.html           every figure's definition from the catalogue, provisional models marked, the
                               rules with their thresholds and the unit conversions with their basis
  report/assets/               Plotly (shipped, not fetched), report.js, report.css
  report/data/nationalt.js     the municipality-level figures, shared by every page
  kommuner/<kode>/rapport.html one page per municipality, in its own folder: cards, ranking, trend, sector
                               filter, its buildings, cost vs condition, its data-quality feedback

Every chart has its data as a table beside it and a CSV download. The numbers come from the release's own
warehouse.duckdb, so the report shows exactly what was published; so do the rules' thresholds (the release's
copy of seed parametre) and the unit conversions (enhedsomregning, forsyningsarter): no text here types one.
The pages are pipeline/pages' templates (national.html, methods.html, municipality.html) on its one base
layout; this module gathers their data."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

from pipeline.contract.codes import labels, seed_rows
from pipeline.contract.datasets import DATASETS
from pipeline.contract.parameters import (
    BENCHMARK_MIN_DAEKNING_PCT,
    COMPARABLE_MAX_COVERAGE_DIFFERENCE,
)
from pipeline.faults import fault_point
from pipeline.pages import script_json, write_page
from pipeline.settings import connect
from pipeline.states import DatasetState
from pipeline.text import canonical_kommunekode, clean_text, da_number_short

ASSETS = Path(__file__).with_name("report_assets")  # package data: shipped with a non-editable install
BUILDING_COLUMNS = (
    "bda_m2",
    "samlet_udgift_pr_m2",
    "el_kwh_pr_m2",
    "varme_kwh_pr_m2",
    "vedligeholdelsestilstand",
    "indeklima_karakter",
    "udnyttelsesgrad_pct",
)
GEO_KEYS = ("kommunekode", "KOMKODE", "komkode", "lau_1", "kode")
TILE_SEED = "kommune_felter.csv"  # the schematic map's grid: one tile per municipality
TILE_GAP = 0.04  # the white margin around a tile, in tiles


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
            "window.KKM2_NATIONAL = " + script_json(national) + ";\n", encoding="utf-8"
        )
        kommuner = _rows(con, "SELECT kommunekode, kommunenavn FROM dim_kommune ORDER BY kommunekode")
        with_data = sorted({r["kommunekode"] for r in national["kommuner_vaerdier"]})
        names = {k["kommunekode"]: k["kommunenavn"] for k in kommuner}
        # what every page's footer and texts quote: the release's id and thresholds (its copy of parametre)
        common = {"release_id": national["release_id"], "params": national["parametre"]}
        pages = [
            write_page(
                root / "index.html",
                "national.html",
                **common,
                # the steward's boundaries when given and readable, else the schematic map (seed kommune_felter)
                data={"kort": (_map(geojson, names) if geojson else None) or tile_map(names)},
                kommuner=[k for k in kommuner if k["kommunekode"] in with_data],
            ),
            write_page(
                root / "metode.html",
                "methods.html",
                **common,
                katalog=national["katalog"],
                conversions=_conversions(con),
            ),
        ]
        for k in with_data:
            folder = out / "kommuner" / k
            if out != release:  # the feedback pages the municipality page links to
                folder.mkdir(parents=True, exist_ok=True)
                for fb in (release / "kommuner" / k).glob("tilbagemelding_*.html"):
                    shutil.copyfile(fb, folder / fb.name)
            try:
                fault_point("rapport", k)
                pages.append(_write_municipality(con, folder, k, names[k], national, common))
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
        # the sectors' Danish names for the pages (`aeldre` -> the seed's label), the code list's own seed
        "sektor_navne": labels("sektor"),
        "release_id": _clean(con.execute("SELECT any_value(release_id) FROM dim_noegletal").fetchall()[0][0]),
        # the rules' thresholds as this release used them (its copy of seed parametre): code -> value
        "parametre": {
            r["parameter"]: r["vaerdi"] for r in _rows(con, "SELECT parameter, vaerdi FROM parametre")
        },
    }


def status_by_year(rows: list[dict]) -> list[dict]:
    """mart_indberetning_status's rows (newest year first) per year, for people: each dataset by its Danish
    name (the contract's label) and state (DatasetState.label), and the year's quality message once. The mart
    repeats that message, which is about the municipality's whole submission, on every dataset row; its
    checks are joined by ' | '."""
    years: dict[int, dict] = {}
    for r in rows:
        year = years.setdefault(r["aar"], {"aar": r["aar"], "kontroller": [], "datasaet": []})
        if r["kvalitet_besked"] and not year["kontroller"]:
            year["kontroller"] = [m.strip() for m in r["kvalitet_besked"].split(" | ") if m.strip()]
        dataset = DATASETS.get(r["dataset"])
        state = r["status"] if r["status"] in {s.value for s in DatasetState} else None
        year["datasaet"].append(
            {
                **r,
                "datasaet_navn": dataset.label if dataset else r["dataset"],
                "status_navn": DatasetState(state).label if state else r["status"],
            }
        )
    return list(years.values())


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
    return f"Ikke sammenlignelig: dækningen kendes ikke for både {forrige} og {aar}."


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


def tile_map(names: dict[str, str]) -> dict | None:
    """The schematic map, for when the steward has no boundary file (the real ones may not be shipped): one
    square tile per municipality at its place in the grid of seed kommune_felter, placed roughly by geography.
    The same FeatureCollection as `_map` (x = column, y = minus row, so north is up), marked `skematisk`, each
    tile with its short label (`etiket`) and centre (`midt`) for the label drawn on it."""
    features = []
    for r in seed_rows(TILE_SEED):
        k = r["kommunekode"]
        if k not in names:
            continue
        x, y = int(r["kolonne"]), -int(r["raekke"])
        x0, x1, y0, y1 = x + TILE_GAP, x + 1 - TILE_GAP, y - 1 + TILE_GAP, y - TILE_GAP
        # clockwise, as d3-geo (Plotly) wants an outer ring
        ring = [[x0, y0], [x0, y1], [x1, y1], [x1, y0], [x0, y0]]
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "kommunekode": k,
                    "navn": names[k],
                    "etiket": r["etiket"],
                    "midt": [x + 0.5, y - 0.5],
                },
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    features.sort(key=lambda f: f["properties"]["kommunekode"])
    return {"type": "FeatureCollection", "skematisk": True, "features": features} if features else None


def _ring(ring: list) -> list:
    out = []
    for x, y, *_ in ring:
        pt = [round(x, 3), round(y, 3)]
        if not out or out[-1] != pt:
            out.append(pt)
    return out


# ------------------------------------------------------------------------------------------------ pages


def _write_municipality(con, folder: Path, k: str, name: str, national: dict, common: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    aar = con.execute(
        "SELECT max(aar) FROM mart_kommune_sammenligning WHERE kommunekode = ?", [k]
    ).fetchall()[0][0]
    rows = _rows(
        con,
        "SELECT s.aar, s.sektor, s.noegletal, s.vaerdi, s.landsmedian, s.gruppemedian, s.percentil, s.rang, s.n, "
        "s.aendring, s.aendring_pct, s.sammenlignelig, m.daekning_pct, m.indgaar_i_benchmark, f.aar IS NOT NULL AS har_forrige, "
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
    feedback = [
        {"fil": p.name, "aar": p.stem.split("_")[-1]}
        for p in sorted(folder.glob("tilbagemelding_*.html"), reverse=True)
    ]
    data = {
        "kommunekode": k,
        "kommunenavn": name,
        "aar": aar,
        "sektorer": ["alle"] + sorted({b["sektor"] for b in bygninger if b["sektor"]}),
        "sammenligning": sammenligning,
        "bygninger": bygninger,
        "bygning_kolonner": list(BUILDING_COLUMNS),
    }
    return write_page(
        folder / "rapport.html",
        "municipality.html",
        **common,
        kommunenavn=name,
        aar=aar,
        data=data,
        feedback=feedback,
        status=status_by_year(status),
    )
