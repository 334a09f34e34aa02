"""The templates in LibreOffice (Debian's libreoffice-calc, headless), as a contributor without Excel uses them:
`kkm2 template` writes one, it is filled in, LibreOffice opens it and saves it as XLSX, and `kkm2 validate`
accepts the valid rows and rejects the invalid ones in Danish. LibreOffice also prints the help sheet: on one
or two pages.

LibreOffice is required, never skipped: `make test` installs it (the Makefile's `office` target)."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import openpyxl
import pytest

from pipeline.contract.datasets import DATASETS
from pipeline.contract.samples import sample_row
from pipeline.templates import CODES_SHEET, HELP_MAX_PAGES, HELP_SHEET, header

KKM2 = [sys.executable, "-m", "pipeline.cli"]
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """`convert(files, fmt, outdir)`: LibreOffice opens each file and saves it as `fmt`, with a profile of this
    module's own (parallel runs do not share one)."""
    if SOFFICE is None:
        pytest.fail(
            "LibreOffice mangler: installér Debians libreoffice-calc (apt-get install libreoffice-calc; "
            "make test gør det)",
            pytrace=False,
        )
    profile = tmp_path_factory.mktemp("lo-profil")

    def convert(files: list[Path], fmt: str, outdir: Path) -> list[Path]:
        outdir.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [
                SOFFICE,
                f"-env:UserInstallation={profile.as_uri()}",
                "--headless",
                "--norestore",
                "--convert-to",
                fmt,
                "--outdir",
                str(outdir),
                *map(str, files),
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        out = [outdir / f"{f.stem}.{fmt}" for f in files]
        assert done.returncode == 0 and all(p.exists() for p in out), done.stdout + done.stderr
        return out

    return convert


def typed(column, text: str):
    """A contract example as a spreadsheet holds what a person typed: numbers and dates as such."""
    if column.type == "int":
        return int(text)
    if column.type == "dec":
        return float(text.replace(".", "").replace(",", "."))
    if column.type == "date":
        return dt.date.fromisoformat(text)
    return text


def validations(ws) -> dict[str, tuple]:
    """Column header -> (type, prompt, first row, last row) of its data validation."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            out[ws.cell(row=1, column=rng.min_col).value] = (dv.type, dv.prompt, rng.min_row, rng.max_row)
    return out


def test_a_template_filled_in_and_saved_by_libreoffice_passes_kkm2_validate(office, tmp_path):
    done = subprocess.run([*KKM2, "template", "bygninger", "--out", str(tmp_path / "skabelon")], timeout=120)
    assert done.returncode == 0
    template = tmp_path / "skabelon" / "bygninger.xlsx"
    ds = DATASETS["bygninger"]
    wb = openpyxl.load_workbook(template)
    ws = wb["bygninger"]
    assert [c.value for c in ws[1]] == [header(c) for c in ds.columns]
    sample = sample_row(ds)
    rows = [dict(sample, bygning_id=f"SKOLE-00{i}") for i in range(1, 4)]
    rows.append(dict(sample, bygning_id="SKOLE-004", bruttodriftsareal_m2="-5"))  # row 5: not over 0
    rows.append(dict(sample, bygning_id="SKOLE-005", ejerforhold="privat"))  # row 6: not a code
    for row in rows:
        ws.append([typed(c, row[c.name]) if c.name in row else None for c in ds.columns])
    filled = tmp_path / "udfyldt" / "bygninger.xlsx"
    filled.parent.mkdir()
    wb.save(filled)

    [saved] = office([filled], "xlsx", tmp_path / "libreoffice")

    # LibreOffice kept the sheets, the drop-downs, the checks and their Danish hints on the filled rows. (It
    # writes a validation only down to 1 000 rows below the last filled one: its XLSX export, not the template.)
    kept = openpyxl.load_workbook(saved)
    assert kept.sheetnames == [HELP_SHEET, "bygninger", CODES_SHEET]
    before, after = validations(wb["bygninger"]), validations(kept["bygninger"])
    assert set(after) == set(before) == {header(c) for c in ds.columns}
    for col, (kind, prompt, first, last) in after.items():
        assert (kind, prompt) == before[col][:2], col
        assert first == 2 and last >= 1 + len(rows) + 1000, col
    assert after[header(ds.column("ejerforhold"))][0] == "list"

    done = subprocess.run(
        [*KKM2, "validate", "--json", str(saved)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr  # errors were found
    result = json.loads(done.stdout)
    counts = result["counts"]["bygninger"]
    # five rows read, not the million the validations reach down to
    assert (counts["raekker_modtaget"], counts["raekker_accepteret"], counts["raekker_afvist"]) == (5, 3, 2)
    found = [f for f in result["findings"] if f["alvorlighed"] in ("fejl", "advarsel")]
    assert sorted((f["raekke"], f["kolonne"], f["alvorlighed"]) for f in found) == [
        (5, "bruttodriftsareal_m2", "fejl"),
        (6, "ejerforhold", "fejl"),
    ]
    said = {f["kolonne"]: f["besked"] for f in found}
    assert "'-5' er ikke tilladt" in said["bruttodriftsareal_m2"] and "over 0" in said["bruttodriftsareal_m2"]
    assert (
        "'privat'" in said["ejerforhold"]
        and "forventet en af: ejet, lejet, selvejende" in said["ejerforhold"]
    )


def pdf_pages_and_smallest_text(pdf: Path) -> tuple[int, float]:
    """The pages of a PDF LibreOffice wrote, and its smallest font size in points (LibreOffice scales a page
    by scaling the font sizes it writes)."""
    data = pdf.read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))
    sizes = []
    for m in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            text = zlib.decompress(m.group(1))
        except zlib.error:
            continue
        sizes += [float(s) for s in re.findall(rb"/F\d+ ([\d.]+) Tf", text)]
    return pages, min(sizes)


def test_the_help_sheet_prints_on_one_or_two_pages_in_libreoffice(office, tmp_path):
    helps = []
    for dataset in ("alle", "bygninger"):
        done = subprocess.run([*KKM2, "template", dataset, "--out", str(tmp_path / dataset)], timeout=120)
        assert done.returncode == 0
        [path] = (tmp_path / dataset).glob("*.xlsx")
        wb = openpyxl.load_workbook(path)
        for name in wb.sheetnames[1:]:  # only the help sheet goes to the printer
            del wb[name]
        assert wb.sheetnames == [HELP_SHEET]
        helps.append(tmp_path / f"vejledning_{dataset}.xlsx")
        wb.save(helps[-1])
    every, one = office(helps, "pdf", tmp_path / "pdf")
    pages, smallest = pdf_pages_and_smallest_text(every)
    # the help for every dataset (some 70 columns) on at most two A4 pages, its text still readable
    assert 1 <= pages <= HELP_MAX_PAGES and smallest >= 5.5, (pages, smallest)
    pages, smallest = pdf_pages_and_smallest_text(one)
    assert pages == 1 and smallest >= 5.5, (pages, smallest)
