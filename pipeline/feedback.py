"""Danish feedback per submission (municipality × year, its latest version): an HTML page and an XLSX of the
rejected rows with their reasons, written into the municipality's own folder of a release — never a shared
page. Spreadsheet cells that a spreadsheet would run as a formula are neutralised, and characters XLSX and
HTML cannot hold are replaced (pipeline.text.safe_cell / clean_text)."""

from __future__ import annotations

import html
import json
from pathlib import Path

from pipeline.faults import fault_point
from pipeline.text import clean_text, safe_cell

SEVERITY_DA = {"fejl": "Fejl", "advarsel": "Advarsel", "info": "Info"}


def _latest_versions(con) -> list[tuple]:
    return con.execute("""
        SELECT kommunekode, aar, max(version) FROM wh.audit.submissions GROUP BY ALL ORDER BY ALL
    """).fetchall()


def write_feedback(con, out_root: Path, failures: dict[str, str] | None = None) -> list[Path]:
    """For every submission: kommuner/<kode>/tilbagemelding_<aar>.html and afviste_raekker_<aar>.xlsx.
    `con` has the live warehouse attached as `wh` (read-only). A submission whose feedback cannot be written
    gets a plain page that says so instead, and the reason goes into `failures` (kommunekode -> Danish)."""
    written = []
    for k, aar, version in _latest_versions(con):
        folder = out_root / k
        folder.mkdir(parents=True, exist_ok=True)
        try:
            fault_point("tilbagemelding", k)
            written += _write_one(con, folder, k, aar, version)
        except Exception as e:
            reason = f"Tilbagemeldingen for {aar} kunne ikke skrives (intern fejl: {type(e).__name__})."
            if failures is not None:
                failures[k] = reason
            (folder / f"afviste_raekker_{aar}.xlsx").unlink(missing_ok=True)
            page = folder / f"tilbagemelding_{aar}.html"
            page.write_text(_fallback_html(k, aar, reason), encoding="utf-8")
            written.append(page)
    return written


def _fallback_html(k: str, aar: int, reason: str) -> str:
    """A page with nothing from the submission in it, for when the full feedback could not be written."""
    return f"""<!doctype html>
<html lang="da"><head><meta charset="utf-8"><title>Tilbagemelding {html.escape(k)} {aar}</title></head>
<body><main><h1>Tilbagemelding for kommune {html.escape(k)}, indberetning {aar}</h1>
<p>{html.escape(reason)} Kommunens version er holdt tilbage; stewarden er underrettet og udgiver igen, når fejlen
er rettet. De øvrige kommuners udgivelse er ikke berørt.</p></main></body></html>
"""


def _write_one(con, folder: Path, k: str, aar: int, version: int) -> list[Path]:
    """One submission's feedback page and rejected-rows workbook."""
    status = con.execute(
        "SELECT status, oprettet_tid FROM wh.audit.submissions WHERE kommunekode = ? AND aar = ? AND version = ?",
        [k, aar, version],
    ).fetchall()[0]
    counts = con.execute(
        """
        SELECT dataset, raekker_modtaget, raekker_accepteret, raekker_afvist, raekker_sprunget_over, advarsler
        FROM wh.audit.submission_datasets WHERE kommunekode = ? AND aar = ? AND version = ? AND filer <> '[]'
        ORDER BY dataset""",
        [k, aar, version],
    ).fetchall()
    findings = con.execute(
        """
        SELECT alvorlighed, dataset, fil, ark, raekke, kolonne, vaerdi, besked, antal
        FROM wh.audit.findings WHERE kommunekode = ? AND aar = ? AND version = ?
        ORDER BY CASE alvorlighed WHEN 'fejl' THEN 0 WHEN 'advarsel' THEN 1 ELSE 2 END, fil, raekke NULLS FIRST
    """,
        [k, aar, version],
    ).fetchall()
    rejected = con.execute(
        """
        SELECT dataset, kilde_fil, raekke, aarsager, vaerdier FROM wh.audit.rejected_rows
        WHERE kommunekode = ? AND aar = ? AND version = ? ORDER BY dataset, kilde_fil, raekke
    """,
        [k, aar, version],
    ).fetchall()
    page = folder / f"tilbagemelding_{aar}.html"
    page.write_text(_html(k, aar, version, status, counts, findings), encoding="utf-8")
    sheet = folder / f"afviste_raekker_{aar}.xlsx"
    _xlsx(sheet, rejected)
    return [page, sheet]


def _html(k, aar, version, status, counts, findings) -> str:
    def e(value) -> str:  # user text: characters HTML cannot hold replaced, then escaped
        return html.escape(clean_text(str(value)))

    rows = "".join(
        f"<tr><td>{e(ds)}</td><td>{rec}</td><td>{acc}</td><td>{rej}</td><td>{skip}</td><td>{warn}</td></tr>"
        for ds, rec, acc, rej, skip, warn in counts
    )
    items = "".join(
        f'<tr class="{e(sev)}"><td>{e(SEVERITY_DA.get(sev, sev))}</td><td>{e(fil or "(indberetningen)")}</td>'
        f"<td>{e(ark or '')}</td><td>{'' if raekke is None else raekke}</td><td>{e(kol or '')}</td>"
        f"<td>{e(vaerdi or '')}</td><td>{e(besked)}</td></tr>"
        for sev, _ds, fil, ark, raekke, kol, vaerdi, besked, _n in findings
    )
    state = "godkendt" if status[0] == "godkendt" else "holdt tilbage"
    return f"""<!doctype html>
<html lang="da"><head><meta charset="utf-8"><title>Tilbagemelding {e(k)} {aar}</title>
<style>body{{font-family:sans-serif;margin:2rem;color:#111}}table{{border-collapse:collapse;margin:1rem 0}}
td,th{{border:1px solid #888;padding:.3rem .5rem;text-align:left;vertical-align:top}}
tr.fejl td:first-child{{color:#8b0000;font-weight:bold}}</style></head>
<body><main>
<h1>Tilbagemelding for kommune {e(k)}, indberetning {aar}</h1>
<p>Version {version}, modtaget {e(str(status[1])[:19])}: <strong>{state}</strong>.</p>
<h2>Rækker pr. datasæt</h2>
<table><thead><tr><th scope="col">Datasæt</th><th scope="col">Modtaget</th><th scope="col">Accepteret</th>
<th scope="col">Afvist</th><th scope="col">Sprunget over</th><th scope="col">Advarsler</th></tr></thead>
<tbody>{rows}</tbody></table>
<h2>Fund ({len(findings)})</h2>
<p>Rækkenumre er som i regnearket (overskriften er række 1). De afviste rækker står med deres værdier i
afviste_raekker_{aar}.xlsx.</p>
<table id="fund" data-antal="{len(findings)}"><thead><tr><th scope="col">Alvorlighed</th><th scope="col">Fil</th>
<th scope="col">Ark</th><th scope="col">Række</th><th scope="col">Kolonne</th><th scope="col">Værdi</th>
<th scope="col">Hvad er galt</th></tr></thead><tbody>{items}</tbody></table>
</main></body></html>
"""


def _xlsx(path: Path, rejected) -> None:
    import openpyxl
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "afviste_raekker"
    columns: dict[str, None] = {}
    parsed = []
    for ds, fil, raekke, aarsager, vaerdier in rejected:
        values = json.loads(vaerdier)
        for c in values:
            columns.setdefault(c, None)
        parsed.append((ds, fil, raekke, aarsager, values))
    head = ["datasæt", "fil", "række", "årsager", *columns]
    ws.append(head)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for ds, fil, raekke, aarsager, values in parsed:
        ws.append([safe_cell(v) for v in (ds, fil, raekke, aarsager, *(values.get(c) for c in columns))])
    ws.freeze_panes = "A2"
    wb.save(path)
