"""Danish feedback per submission (municipality × year, its latest version): an HTML page and an XLSX of the
rejected rows with their reasons, written into the municipality's own folder of a release — never a shared
page. The page is the template pages/templates/feedback.html (escaped by the pages' environment); in the
workbook, cells that a spreadsheet would run as a formula are neutralised, and characters XLSX cannot hold are
replaced (pipeline.text.safe_cell)."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.contract.datasets import DATASETS
from pipeline.faults import fault_point
from pipeline.pages import write_page
from pipeline.states import SubmissionStatus
from pipeline.text import safe_cell


def _latest_versions(con) -> list[tuple]:
    return con.execute("""
        SELECT kommunekode, aar, max(version) FROM wh.audit.submissions GROUP BY ALL ORDER BY ALL
    """).fetchall()


def write_feedback(
    con, out_root: Path, release_id: str, failures: dict[str, str] | None = None
) -> list[Path]:
    """For every submission: kommuner/<kode>/tilbagemelding_<aar>.html and afviste_raekker_<aar>.xlsx, in
    release `release_id`. `con` has the live warehouse attached as `wh` (read-only). A submission whose feedback
    cannot be written gets a page that says so instead, with nothing from the submission in it, and the reason
    goes into `failures` (kommunekode -> Danish)."""
    written = []
    for k, aar, version in _latest_versions(con):
        folder = out_root / k
        folder.mkdir(parents=True, exist_ok=True)
        try:
            fault_point("tilbagemelding", k)
            written += _write_one(con, folder, k, aar, version, release_id)
        except Exception as e:
            reason = f"Tilbagemeldingen for {aar} kunne ikke skrives (intern fejl: {type(e).__name__})."
            if failures is not None:
                failures[k] = reason
            (folder / f"afviste_raekker_{aar}.xlsx").unlink(missing_ok=True)
            written.append(
                write_page(
                    folder / f"tilbagemelding_{aar}.html",
                    "feedback.html",
                    release_id=release_id,
                    kommunekode=k,
                    aar=aar,
                    reason=reason,
                )
            )
    return written


def _write_one(con, folder: Path, k: str, aar: int, version: int, release_id: str) -> list[Path]:
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
    page = write_page(
        folder / f"tilbagemelding_{aar}.html",
        "feedback.html",
        release_id=release_id,
        kommunekode=k,
        aar=aar,
        reason=None,
        version=version,
        status=SubmissionStatus(status[0]).label,
        received=status[1],
        # each dataset by its Danish name (the contract's label): `indeklima_maalinger` -> Indeklima – målinger
        counts=[(DATASETS[d].label if d in DATASETS else d, *n) for d, *n in counts],
        findings=findings,
    )
    sheet = folder / f"afviste_raekker_{aar}.xlsx"
    _xlsx(sheet, rejected)
    return [page, sheet]


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
