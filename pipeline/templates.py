"""Templates for municipal contributors, generated from the contract: CSV (Danish Excel: `;`, UTF-8 with BOM)
and XLSX with Danish column labels, drop-down lists for code columns, a help sheet (meaning, unit, rule,
example for every column; grades: 1 = bedst) and, for all datasets, one workbook with a sheet per dataset."""

from __future__ import annotations

from pathlib import Path

from pipeline.contract.datasets import CONTRACT_VERSION, DATASETS
from pipeline.contract.model import TYPES, Dataset

HELP_SHEET = "Vejledning"
CODES_SHEET = "Koder"
TEMPLATE_SHEETS = {HELP_SHEET.lower(), CODES_SHEET.lower()}  # the validator ignores these sheets
FIRST_DATA_ROW, LAST_DATA_ROW = 2, 5000


def write_csv(ds: Dataset, out: Path) -> Path:
    path = out / f"{ds.name}.csv"
    path.write_text(";".join(c.label for c in ds.columns) + "\r\n", encoding="utf-8-sig", newline="")
    return path


def write_xlsx(datasets: list[Dataset], path: Path) -> Path:
    import openpyxl
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    codes = wb.create_sheet(CODES_SHEET)
    code_col: dict[str, str] = {}  # code list -> column letter in the codes sheet
    for ds in datasets:
        ws = wb.create_sheet(ds.name)
        ws.append([c.label for c in ds.columns])
        for i, c in enumerate(ds.columns, start=1):
            cell = ws.cell(row=1, column=i)
            cell.font = Font(bold=True)
            ws.column_dimensions[cell.column_letter].width = max(12, len(c.label) + 2)
            if c.codes:
                if c.codes not in code_col:
                    col = len(code_col) + 1
                    codes.cell(row=1, column=col, value=c.codes)
                    for r, v in enumerate(c.code_values(), start=2):
                        codes.cell(row=r, column=col, value=int(v) if c.type == "int" else v)
                    code_col[c.codes] = codes.cell(row=1, column=col).column_letter
                letter, n = code_col[c.codes], len(c.code_values())
                dv = DataValidation(
                    type="list",
                    formula1=f"={CODES_SHEET}!${letter}$2:${letter}${n + 1}",
                    allow_blank=not c.required,
                    showErrorMessage=True,
                    errorTitle=c.label,
                    error=f"Vælg en værdi fra listen: {c.expected_da()}",
                )
                ws.add_data_validation(dv)
                dv.add(f"{cell.column_letter}{FIRST_DATA_ROW}:{cell.column_letter}{LAST_DATA_ROW}")
        ws.freeze_panes = "A2"
    codes.sheet_state = "hidden"
    help_ws = wb.create_sheet(HELP_SHEET, 0)
    help_ws.append(
        [
            f"kkm2 skabelon — informationsmodel v{CONTRACT_VERSION}. Udfyld ét ark pr. datasæt fra række 2. "
            "Karakterer: 1 = bedst, 5 = dårligst. Kontrollér filen med kkm2-validate, før den sendes."
        ]
    )
    help_ws.append([])
    help_ws.append(
        ["Datasæt", "Kolonne", "Etiket", "Påkrævet", "Betydning", "Enhed", "Type", "Regel", "Eksempel"]
    )
    for cell in help_ws[3]:
        cell.font = Font(bold=True)
    for ds in datasets:
        for c in ds.columns:
            required = "ja" if c.required else (c.required_text or "nej")
            help_ws.append(
                [
                    ds.name,
                    c.name,
                    c.label,
                    required,
                    c.help,
                    c.unit or "",
                    TYPES[c.type].da,
                    c.expected_da(),
                    c.example or "",
                ]
            )
    for letter, width in zip("ABCDEFGHI", (22, 26, 26, 14, 70, 8, 22, 50, 22), strict=True):
        help_ws.column_dimensions[letter].width = width
    for row in help_ws.iter_rows(min_row=4):
        row[4].alignment = Alignment(wrap_text=True, vertical="top")
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
