"""Templates for municipal contributors, generated from the contract: CSV (Danish Excel: `;`, UTF-8 with BOM)
and XLSX. The workbook has one sheet per dataset, with the Danish column labels as headers (required columns
marked with `*` and a fill), a data validation with a Danish input hint on every column down to the sheet's
last row (drop-downs of the code lists, whole and decimal numbers within the contract's bounds, grades 1–5,
dates, text lengths), a help sheet that prints on one or two pages (meaning, rule and example of every
column; grades: 1 = bedst) and a codes sheet with every code and its Danish label from the seeds.

The drop-downs list the codes themselves (`aeldre`), the values gate 1 accepts; their Danish labels
(`Ældre`) are in the input hint and on the codes sheet."""

from __future__ import annotations

import math
from pathlib import Path

from pipeline.contract import codes as code_lists
from pipeline.contract.datasets import CONTRACT_VERSION, DATASETS
from pipeline.contract.model import Column, Dataset

HELP_SHEET = "Vejledning"
CODES_SHEET = "Koder"
TEMPLATE_SHEETS = {HELP_SHEET.lower(), CODES_SHEET.lower()}  # the validator ignores these sheets
FIRST_DATA_ROW = 2
LAST_DATA_ROW = 1_048_576  # the last row an XLSX sheet has: validations cover every row a person can fill
REQUIRED_MARK = " *"  # after a required column's label in the header (header matching ignores it)
REQUIRED_FILL = "F8CBAD"  # a required column's header
OPTIONAL_FILL = "DDEBF7"
# Excel's limits on a data validation's texts: longer ones make Excel "repair" (drop) the validation
TITLE_MAX, PROMPT_MAX, ERROR_MAX = 32, 255, 225
# the cell formats a column's new values get: ids stay text (a GSRN of 18 digits is no number, 0800 keeps
# its zero), dates and times show as dates
NUMBER_FORMATS = {
    "text": "@",
    "code": "@",
    "date": "yyyy-mm-dd",
    "ts": "yyyy-mm-dd hh:mm",
    "tsdate": "yyyy-mm-dd hh:mm",
    "int": "0",
}
NUMBER_LIMIT = 999_999_999_999_999  # the bound a numeric validation uses where the contract has none
DATE_RANGE = ("DATE(1900,1,1)", "DATE(9999,12,31)")  # every date a spreadsheet can hold
# the help sheet: columns and widths (characters), the text's size in points, the pages it prints on
HELP_COLUMNS = (
    ("Kolonne (overskrift og navn)", 26),
    ("Påkrævet", 11),
    ("Regel", 30),
    ("Betydning", 42),
    ("Eksempel", 13),
)
HELP_FONT_PT = 10
HELP_MAX_PAGES = 2
CODES_IN_RULE = 8  # a code list this long or shorter is spelt out in the help sheet's rule


def write_csv(ds: Dataset, out: Path) -> Path:
    path = out / f"{ds.name}.csv"
    path.write_text(";".join(c.label for c in ds.columns) + "\r\n", encoding="utf-8-sig", newline="")
    return path


def header(c: Column) -> str:
    """A column's header in the workbook: its Danish label, and `*` when it must be filled."""
    return c.label + (REQUIRED_MARK if c.required else "")


def _clip(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.–- ")
    return cut + "…"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _required_da(c: Column) -> str:
    if c.required:
        return "Påkrævet."
    if c.required_text and c.required_text.startswith("påkrævet"):  # "påkrævet, medmindre …"
        return "P" + c.required_text[1:] + "."
    if c.required_text:  # "co2_ppm eller temperatur_c skal være udfyldt"
        return f"Valgfri, men {c.required_text}."
    return "Valgfri."


def prompt(c: Column) -> str:
    """The input hint shown when a cell of the column is selected: required or not, the meaning, the rule. A
    code list is spelt out with the Danish labels that say more than the code (`aeldre = Ældre`,
    `selvejende = Selvejende institution`) where it fits, else the hint points to the codes sheet."""
    head = f"{_required_da(c)} {c.help}"
    if c.codes:
        labels = code_lists.labels(c.codes)
        shown = (
            code if label.lower() == code.lower() else f"{code} = {label}" for code, label in labels.items()
        )
        spelt = "Vælg fra listen: " + "; ".join(shown) + "."
        if len(head) + 1 + len(spelt) > PROMPT_MAX:
            spelt = f"Vælg en af de {len(labels)} koder fra listen; betydningen står på arket {CODES_SHEET}."
        return _clip(f"{head} {spelt}", PROMPT_MAX)
    rule = "Vælg ja eller nej." if c.type == "bool" else f"Skriv {c.expected_da()}."
    return _clip(f"{head} {rule}", PROMPT_MAX)


def validation(c: Column, codes_range: str | None, first_cell: str):
    """The data validation of a column: its type, bounds and Danish texts. `codes_range` is the code list's
    cells on the codes sheet, `first_cell` the column's first data cell (a formula's relative reference)."""
    from openpyxl.worksheet.datavalidation import DataValidation

    kw: dict = {}
    if c.codes:
        kw = {"type": "list", "formula1": f"{CODES_SHEET}!{codes_range}"}
        error = f"Vælg en kode fra listen (betydningen står på arket {CODES_SHEET})."
    elif c.type == "bool":
        kw = {"type": "list", "formula1": '"ja,nej"'}
        error = "Skriv ja eller nej."
    elif c.type in ("int", "dec"):
        lo, hi = c.min, c.max
        if c.type == "int" and lo is not None and c.min_exclusive:
            lo = math.floor(lo) + 1  # a whole number over 0 is at least 1
        exclusive = c.type == "dec" and lo is not None and c.min_exclusive
        kw = {"type": "whole" if c.type == "int" else "decimal"}
        if exclusive and hi is None:
            kw |= {"operator": "greaterThan", "formula1": _num(lo)}
        elif exclusive:  # over lo and at most hi: no operator says that
            x = first_cell
            kw = {"type": "custom", "formula1": f"AND(ISNUMBER({x}),{x}>{_num(lo)},{x}<={_num(hi)})"}
        else:
            low = _num(lo) if lo is not None else str(-NUMBER_LIMIT)
            high = _num(hi) if hi is not None else str(NUMBER_LIMIT)
            kw |= {"operator": "between", "formula1": low, "formula2": high}
        error = f"Skriv {c.expected_da()}."
    elif c.type == "date":
        kw = {"type": "date", "operator": "between", "formula1": DATE_RANGE[0], "formula2": DATE_RANGE[1]}
        error = f"Skriv {c.expected_da()}."
    elif c.type == "text" and c.max_len:
        kw = {"type": "textLength", "operator": "lessThanOrEqual", "formula1": str(c.max_len)}
        error = f"Skriv {c.expected_da()}."
    else:  # free text and times (with or without a time zone): an input hint only
        error = ""
    return DataValidation(
        allow_blank=True,  # a blank required cell is the validator's finding, with the row's other faults
        showInputMessage=True,
        promptTitle=_clip(c.label, TITLE_MAX),
        prompt=prompt(c),
        showErrorMessage=bool(error),
        errorTitle=_clip(f"Ugyldig værdi: {c.label}", TITLE_MAX) if error else None,
        error=_clip(f"{c.label}: {error[0].lower()}{error[1:]}", ERROR_MAX) if error else None,
        **kw,
    )


def _codes_sheet(wb, datasets: list[Dataset]) -> dict[str, str]:
    """Every code list the datasets use: its codes and Danish labels, two columns a list. Returns the list's
    code cells (`$A$2:$A$4`) by list name."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(CODES_SHEET)
    ranges: dict[str, str] = {}
    for c in (c for ds in datasets for c in ds.columns if c.codes):
        if c.codes in ranges:
            continue
        col = 3 * len(ranges) + 1  # code, label, an empty column between lists
        labels = code_lists.labels(c.codes)
        ws.cell(row=1, column=col, value=f"Kode ({c.codes})").font = Font(bold=True)
        ws.cell(row=1, column=col + 1, value="Betydning").font = Font(bold=True)
        for r, (code, label) in enumerate(labels.items(), start=2):
            ws.cell(row=r, column=col, value=int(code) if c.type == "int" else code)
            ws.cell(row=r, column=col + 1, value=label)
        code_letter, label_letter = get_column_letter(col), get_column_letter(col + 1)
        ws.column_dimensions[code_letter].width = max(len(f"Kode ({c.codes})"), *map(len, labels)) + 2
        ws.column_dimensions[label_letter].width = min(60, max(12, *map(len, labels.values())) + 2)
        ranges[c.codes] = f"${code_letter}$2:${code_letter}${len(labels) + 1}"
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    return ranges


def _data_sheet(wb, ds: Dataset, codes: dict[str, str]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    ws = wb.create_sheet(ds.name)
    ws.append([header(c) for c in ds.columns])
    for i, c in enumerate(ds.columns, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=REQUIRED_FILL if c.required else OPTIONAL_FILL)
        cell.alignment = Alignment(vertical="top")
        letter = cell.column_letter
        dim = ws.column_dimensions[letter]
        dim.width = max(12, len(header(c)) + 3)
        if c.type in NUMBER_FORMATS:
            dim.number_format = NUMBER_FORMATS[c.type]
        dv = validation(c, codes.get(c.codes), f"{letter}{FIRST_DATA_ROW}")
        ws.add_data_validation(dv)
        dv.add(f"{letter}{FIRST_DATA_ROW}:{letter}{LAST_DATA_ROW}")
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4


def _help_sheet(wb, datasets: list[Dataset]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    ws = wb.create_sheet(HELP_SHEET, 0)
    small, bold = Font(size=HELP_FONT_PT), Font(size=HELP_FONT_PT, bold=True)
    ws.append([f"kkm2 skabelon — informationsmodel v{CONTRACT_VERSION}"])
    ws["A1"].font = Font(size=13, bold=True)
    for line in (
        "Udfyld ét ark pr. datasæt fra række 2; overskrifterne i række 1 skal blive stående.",
        f"Kolonner med * og orange overskrift skal udfyldes; blå er valgfri. Kodernes betydning står på arket "
        f"{CODES_SHEET}.",
        "Vælg en celle for at se reglen; skriv tal som tal og datoer som datoer. Karakterer: 1 = bedst, "
        "5 = dårligst.",
        "Kontrollér filen med kkm2-validate, før den sendes.",
    ):
        ws.append([line])
        ws.cell(row=ws.max_row, column=1).font = small
    ws.append([])
    ws.append([name for name, _ in HELP_COLUMNS])
    head_row = ws.max_row
    for cell in ws[head_row]:
        cell.font = bold
        cell.fill = PatternFill("solid", fgColor="D9D9D9")
    wrap = Alignment(wrap_text=True, vertical="top")
    for ds in datasets:
        ws.append([f"{ds.name} — {ds.label}. {ds.grain}"])
        ws.cell(row=ws.max_row, column=1).font = bold
        for c in ds.columns:
            codes = c.code_values()
            rule = (
                f"en af de {len(codes)} koder på arket {CODES_SHEET}"
                if len(codes) > CODES_IN_RULE
                else c.expected_da()
            )
            required = "ja" if c.required else (c.required_text or "nej")
            values = [f"{header(c)}\n{c.name}", required, rule, c.help, c.example or ""]
            ws.append(values)
            for cell in ws[ws.max_row]:  # no row height: Excel and LibreOffice fit each row to its text
                cell.font = small
                cell.alignment = wrap
    for i, (_, width) in enumerate(HELP_COLUMNS, start=1):
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = width
    ws.print_title_rows = f"{head_row}:{head_row}"
    ws.page_setup.orientation = "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, HELP_MAX_PAGES
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5


def write_xlsx(datasets: list[Dataset], path: Path) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    codes = _codes_sheet(wb, datasets)
    for ds in datasets:
        _data_sheet(wb, ds, codes)
    wb.move_sheet(CODES_SHEET, offset=len(datasets))  # after the datasets' sheets
    _help_sheet(wb, datasets)
    wb.active = 0
    wb.save(path)
    return path


def write_templates(dataset: str, fmt: str, out: Path) -> list[Path]:
    """`dataset` is a dataset name or `alle` (all datasets: one workbook, or one CSV per dataset)."""
    out.mkdir(parents=True, exist_ok=True)
    chosen = list(DATASETS.values()) if dataset == "alle" else [DATASETS[dataset]]
    if fmt == "csv":
        return [write_csv(ds, out) for ds in chosen]
    name = "indberetning.xlsx" if dataset == "alle" else f"{dataset}.xlsx"
    return [write_xlsx(chosen, out / name)]
