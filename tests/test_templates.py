"""Templates round-trip: write → fill with the contract's sample values (openpyxl, as a spreadsheet program
would save it) → validate → no findings. And what a person filling one in gets: validations with Danish hints
on every row of every column, required columns marked, Danish code labels, a help sheet that prints on one or
two pages. (tests/test_templates_libreoffice.py opens, fills and saves them in LibreOffice.)"""

from __future__ import annotations

import openpyxl
import pytest

from pipeline.cli import main
from pipeline.contract.codes import seed_rows
from pipeline.contract.datasets import DATASETS
from pipeline.contract.samples import sample_row
from pipeline.templates import (
    CODES_SHEET,
    ERROR_MAX,
    HELP_SHEET,
    OPTIONAL_FILL,
    PROMPT_MAX,
    REQUIRED_FILL,
    TITLE_MAX,
    header,
    write_templates,
)
from pipeline.validation import SubmissionFile, validate_files


def fill(path, datasets):
    wb = openpyxl.load_workbook(path)
    for name in datasets:
        ws = wb[name]
        headers = [c.value for c in ws[1]]
        row = sample_row(DATASETS[name])
        by_header = {header(DATASETS[name].column(k)): v for k, v in row.items()}
        ws.append([by_header.get(h) for h in headers])
    wb.save(path)


def errors(con, result):
    return [f for f in result.findings(con) if f["alvorlighed"] in ("fejl", "advarsel")]


def test_the_workbook_for_all_datasets_round_trips(mem, tmp_path):
    [path] = write_templates("alle", "xlsx", tmp_path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == HELP_SHEET and set(DATASETS) <= set(wb.sheetnames)
    help_text = " ".join(str(c.value) for row in wb[HELP_SHEET].iter_rows() for c in row if c.value)
    assert "1 = bedst" in help_text and "Bruttodriftsareal (m²)" in help_text
    # code columns have drop-down lists
    ws = wb["bygninger"]
    assert any("Koder!" in (dv.formula1 or "") for dv in ws.data_validations.dataValidation)
    fill(path, DATASETS)
    result = validate_files(mem, [SubmissionFile(path, path.name)], "0101", 2024, tmp_path / "tmp")
    assert errors(mem, result) == []
    # validations down to row 1 048 576 do not make the reader see a million rows
    assert {n: (c.received, c.accepted) for n, c in result.counts.items()} == {n: (1, 1) for n in DATASETS}


@pytest.mark.parametrize("name", list(DATASETS))
def test_each_dataset_template_round_trips(mem, tmp_path, name, capsys):
    assert main(["template", "bygninger", "--out", str(tmp_path)]) == 0
    assert main(["template", name, "--out", str(tmp_path)]) == 0
    fill(tmp_path / "bygninger.xlsx", ["bygninger"])
    if name != "bygninger":
        fill(tmp_path / f"{name}.xlsx", [name])
    files = [SubmissionFile(p, p.name) for p in tmp_path.glob("*.xlsx")]
    if name == "forbrug":  # the sample meter is registered in maalere
        main(["template", "maalere", "--out", str(tmp_path)])
        fill(tmp_path / "maalere.xlsx", ["maalere"])
        files.append(SubmissionFile(tmp_path / "maalere.xlsx", "maalere.xlsx"))
    result = validate_files(mem, files, "0101", 2024, tmp_path / "tmp")
    assert errors(mem, result) == []
    assert (result.counts[name].received, result.counts[name].accepted) == (1, 1)


def test_csv_templates_have_danish_labels_for_excel(mem, tmp_path):
    paths = write_templates("alle", "csv", tmp_path)
    assert len(paths) == len(DATASETS)
    raw = (tmp_path / "bygninger.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "Bruttodriftsareal (m²)".encode() in raw
    ds = DATASETS["bygninger"]
    row = sample_row(ds)
    with open(tmp_path / "bygninger.csv", "a", encoding="utf-8", newline="") as f:
        f.write(";".join(row.get(c.name, "") for c in ds.columns) + "\r\n")
    result = validate_files(
        mem, [SubmissionFile(tmp_path / "bygninger.csv", "bygninger.csv")], "0101", 2024, tmp_path / "tmp"
    )
    assert errors(mem, result) == [] and result.counts["bygninger"].accepted == 1


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    [path] = write_templates("alle", "xlsx", tmp_path_factory.mktemp("tpl"))
    return openpyxl.load_workbook(path)


def validations(ws) -> dict[str, object]:
    """Column label -> its one data validation (each covers one column)."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            assert rng.min_col == rng.max_col
            label = ws.cell(row=1, column=rng.min_col).value.removesuffix(" *")
            assert label not in out, f"{ws.title}: two validations on {label}"
            out[label] = (dv, rng)
    return out


def test_every_column_has_a_validation_with_a_danish_hint_on_every_row_of_the_sheet(workbook):
    for name, ds in DATASETS.items():
        ws = workbook[name]
        found = validations(ws)
        assert set(found) == {c.label for c in ds.columns}, name
        for label, (dv, rng) in found.items():
            # the whole sheet below the header: a year of hourly readings (8 760 rows) and far beyond
            assert (rng.min_row, rng.max_row) == (2, 1_048_576), (name, label)
            assert dv.showInputMessage and dv.promptTitle and dv.prompt, (name, label)
            # Excel drops a validation whose texts are longer than this
            assert len(dv.promptTitle) <= TITLE_MAX and len(dv.prompt) <= PROMPT_MAX, (name, label)
            assert not dv.error or len(dv.error) <= ERROR_MAX and len(dv.errorTitle) <= TITLE_MAX
            assert dv.prompt.startswith(("Påkrævet", "Valgfri")), (name, label, dv.prompt)
        # the reader sees the header only: the validations add no rows
        assert (
            ws.max_row == 1 and ws.dimensions == f"A1:{ws.cell(row=1, column=len(ds.columns)).column_letter}1"
        )


def test_numbers_dates_grades_and_texts_are_validated_within_the_contracts_bounds(workbook):
    seen = set()
    for name, ds in DATASETS.items():
        found = validations(workbook[name])
        for c in ds.columns:
            dv, _ = found[c.label]
            where = (name, c.name)
            if c.codes or c.type in ("ts", "tsdate") or (c.type == "text" and not c.max_len):
                continue
            seen.add(c.type)
            assert dv.showErrorMessage and dv.error.startswith(f"{c.label}: skriv "), where
            if c.type == "int":
                assert dv.type == "whole", where
            elif c.type == "dec" and c.min_exclusive and c.max is not None:
                # over the minimum and at most the maximum: a formula, as no operator says that
                cell = f"{workbook[name].cell(row=2, column=ds.columns.index(c) + 1).coordinate}"
                assert dv.type == "custom" and dv.formula1 == (
                    f"AND(ISNUMBER({cell}),{cell}>{c.min:g},{cell}<={c.max:g})"
                ), where
                continue
            elif c.type == "dec":
                assert dv.type == "decimal", where
            elif c.type == "date":
                assert dv.type == "date" and dv.operator == "between", where
                continue
            elif c.type == "text":
                assert (dv.type, dv.operator, dv.formula1) == (
                    "textLength",
                    "lessThanOrEqual",
                    str(c.max_len),
                )
                continue
            elif c.type == "bool":
                assert (dv.type, dv.formula1) == ("list", '"ja,nej"'), where
                continue
            low = c.min + 1 if c.min_exclusive and c.type == "int" else c.min
            if c.min_exclusive and c.type == "dec":
                assert (dv.operator, float(dv.formula1)) == ("greaterThan", c.min), where
            else:
                assert dv.operator == "between", where
                if low is not None:
                    assert float(dv.formula1) == low, where
                if c.max is not None:
                    assert float(dv.formula2) == c.max, where
    assert seen == {"int", "dec", "date", "text", "bool"}
    # grades: 1–5, whole or decimal as the contract says, and the hint says which end is best
    grades = {(n, c.name): c for n, ds in DATASETS.items() for c in ds.columns if c.name == "karakter"}
    assert len(grades) == 3
    for (name, _), c in grades.items():
        dv, _ = validations(workbook[name])[c.label]
        assert (dv.type, dv.operator, float(dv.formula1), float(dv.formula2)) == (
            "whole" if c.type == "int" else "decimal",
            "between",
            1,
            5,
        )
        assert "1 = bedst" in dv.prompt


def test_code_columns_drop_down_the_codes_and_show_their_danish_labels(workbook):
    codes = workbook[CODES_SHEET]
    assert codes.sheet_state == "visible"
    for name, ds in DATASETS.items():
        found = validations(workbook[name])
        for c in (c for c in ds.columns if c.codes):
            dv, _ = found[c.label]
            assert dv.type == "list" and dv.formula1.startswith(f"{CODES_SHEET}!"), (name, c.name)
            cells = codes[dv.formula1.split("!")[1].replace("$", "")]
            listed = [str(row[0].value) for row in cells]
            assert listed == list(c.code_values()), (name, c.name)  # what gate 1 accepts
            labels = [row[0].offset(column=1).value for row in cells]
            assert all(labels), (name, c.name)
    # the labels are the seeds' Danish ones: `aeldre` reads Ældre, on the codes sheet and in the hint
    aeldre = next(r["label"] for r in seed_rows("sektorer.csv") if r["kode"] == "aeldre")
    assert aeldre.startswith("Æ")
    rows = {
        code: label
        for col in range(1, codes.max_column + 1, 3)  # code, label, an empty column
        for code, label in codes.iter_rows(min_row=2, min_col=col, max_col=col + 1, values_only=True)
    }
    assert rows["aeldre"] == aeldre and rows["selvejende"] == "Selvejende institution"
    prompts = {
        c.name: validations(workbook["bygninger"])[c.label][0].prompt for c in DATASETS["bygninger"].columns
    }
    assert (
        f"aeldre = {aeldre}" in prompts["sektor"]
        and "selvejende = Selvejende institution" in prompts["ejerforhold"]
    )


def test_required_columns_are_marked_and_the_help_sheet_says_so(workbook):
    for name, ds in DATASETS.items():
        ws = workbook[name]
        for cell, c in zip(ws[1], ds.columns, strict=True):
            assert cell.value == (f"{c.label} *" if c.required else c.label), (name, c.name)
            assert cell.font.bold
            assert cell.fill.fgColor.rgb.endswith(REQUIRED_FILL if c.required else OPTIONAL_FILL)
        assert ws.freeze_panes == "A2"
    help_text = " ".join(str(c.value) for row in workbook[HELP_SHEET].iter_rows() for c in row if c.value)
    assert "Kolonner med * og orange overskrift skal udfyldes" in help_text
    assert f"arket {CODES_SHEET}" in help_text


def test_the_help_sheet_is_set_to_print_on_one_or_two_pages(workbook, tmp_path):
    ws = workbook[HELP_SHEET]
    assert workbook.sheetnames[0] == HELP_SHEET and workbook.active.title == HELP_SHEET
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth == 1 and 1 <= ws.page_setup.fitToHeight <= 2
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4) and ws.print_title_rows
    # one dataset's workbook prints the same way
    [path] = write_templates("vedligehold", "xlsx", tmp_path)
    single = openpyxl.load_workbook(path)[HELP_SHEET]
    assert single.sheet_properties.pageSetUpPr.fitToPage and single.page_setup.fitToWidth == 1
