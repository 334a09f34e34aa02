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


# the rejected-rows workbook: the reason first, then where the row is, then the row's values under their Danish
# labels; a column is as wide as its longest value within these bounds (characters)
REJECTED_HEAD = ("Begrundelse", "Datasæt", "Fil", "Række")
REASON_WIDTH, MIN_WIDTH, MAX_WIDTH = (30, 90), 8, 45
WIDTH_SAMPLE = 2_000  # rows looked at for the widths


def _value_headings(keys: list[tuple[str, str]]) -> list[str]:
    """The Danish heading of each value column (dataset, column name): the contract's label; a label that two
    different columns share gets the column's name too."""
    from pipeline.contract.datasets import DATASETS

    def label(ds: str, name: str) -> str:
        try:
            return DATASETS[ds].column(name).label
        except KeyError:
            return name

    names_by_label: dict[str, set[str]] = {}
    for ds, name in keys:
        names_by_label.setdefault(label(ds, name), set()).add(name)
    return [
        label(ds, name) if len(names_by_label[label(ds, name)]) == 1 else f"{label(ds, name)} ({name})"
        for ds, name in keys
    ]


def _xlsx(path: Path, rejected) -> None:
    """The rejected rows with their reasons, one row each: Danish headings, the reason first, a frozen header
    and a filter, columns as wide as their contents (bounded)."""
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Afviste rækker"
    columns: dict[str, str] = {}  # column name -> the first dataset that has it
    parsed = []
    for ds, fil, raekke, aarsager, vaerdier in rejected:
        values = json.loads(vaerdier)
        for c in values:
            columns.setdefault(c, ds)
        parsed.append((ds, fil, raekke, aarsager.replace(" | ", "\n"), values))
    head = [*REJECTED_HEAD, *_value_headings([(ds, c) for c, ds in columns.items()])]
    rows = [
        [safe_cell(v) for v in (aarsager, ds, fil, raekke, *(values.get(c) for c in columns))]
        for ds, fil, raekke, aarsager, values in parsed
    ]
    ws.append(head)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9D9D9")
    wrap = Alignment(wrap_text=True, vertical="top")  # one reason a line
    for row in rows:
        ws.append(row)
        ws.cell(row=ws.max_row, column=1).alignment = wrap
    for i, heading in enumerate(head):
        texts = [heading] + [str(r[i]) for r in rows[:WIDTH_SAMPLE] if r[i] is not None]
        longest = max(len(line) for t in texts for line in t.split("\n"))
        low, high = REASON_WIDTH if i == 0 else (MIN_WIDTH, MAX_WIDTH)
        ws.column_dimensions[get_column_letter(i + 1)].width = min(high, max(low, longest + 2))
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.print_title_rows = "1:1"
    wb.save(path)
