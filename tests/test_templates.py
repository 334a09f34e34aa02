"""Templates round-trip: write → fill with the contract's sample values (openpyxl, as a spreadsheet program
would save it) → validate → no findings."""

from __future__ import annotations

import openpyxl
import pytest

from pipeline.cli import main
from pipeline.contract.datasets import DATASETS
from pipeline.contract.samples import sample_row
from pipeline.templates import HELP_SHEET, write_templates
from pipeline.validation import SubmissionFile, validate_files


def fill(path, datasets):
    wb = openpyxl.load_workbook(path)
    for name in datasets:
        ws = wb[name]
        labels = [c.value for c in ws[1]]
        row = sample_row(DATASETS[name])
        by_label = {DATASETS[name].column(k).label: v for k, v in row.items()}
        ws.append([by_label.get(label) for label in labels])
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
    assert any("Koder!" in dv.formula1 for dv in ws.data_validations.dataValidation)
    fill(path, DATASETS)
    result = validate_files(mem, [SubmissionFile(path, path.name)], "0101", 2024, tmp_path / "tmp")
    assert errors(mem, result) == []
    assert {n: c.accepted for n, c in result.counts.items()} == {n: 1 for n in DATASETS}


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
    assert result.counts[name].accepted == 1


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
