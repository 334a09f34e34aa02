"""XLSX, a workbook with one sheet per dataset, JSON and Parquet go through the same validator as CSV."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
from test_validator import accepted, errors, validate

from pipeline.settings import sandbox

HEAD = ["bygning_id", "navn", "anvendelseskode", "bruttodriftsareal_m2", "ejerforhold", "i_brug_fra"]


def xlsx_bytes(tmp_path, sheets: dict[str, list[list]]) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    path = tmp_path / "wb.xlsx"
    wb.save(path)
    return path.read_bytes()


def test_xlsx_with_numbers_and_dates_as_excel_stores_them(mem, tmp_path):
    content = xlsx_bytes(
        tmp_path,
        {
            "Ark1": [
                [
                    "Bygnings-id",
                    "Navn",
                    "BBR-anvendelseskode",
                    "Bruttodriftsareal (m²)",
                    "Ejerforhold",
                    "I brug fra",
                ],
                ["B1", "Skolen", 421, 1234.5, "Ejet", dt.date(2024, 8, 1)],
                [None, None, None, None, None, None],
                ["B2", "Hallen", 533, -3, "ejet", None],
            ]
        },
    )
    result, findings = validate(mem, tmp_path, {"bygninger.xlsx": content})
    assert accepted(mem, "bygninger", "bygning_id, anvendelseskode, bruttodriftsareal_m2, i_brug_fra") == [
        ("B1", 421, 1234.5, dt.date(2024, 8, 1))
    ]
    [f] = errors(findings)
    assert (f["fil"], f["raekke"], f["kolonne"]) == ("bygninger.xlsx (ark Ark1)", 4, "bruttodriftsareal_m2")
    assert f["ark"] == "Ark1"
    assert result.counts["bygninger"].received == 2


def test_a_workbook_with_one_sheet_per_dataset(mem, tmp_path):
    content = xlsx_bytes(
        tmp_path,
        {
            "bygninger": [HEAD[:5], ["B1", "Skolen", 421, 1000, "ejet"]],
            "maalere": [["maaler_id", "bygning_id", "forsyningsart"], ["M1", "B1", "el"]],
            "forbrug": [
                ["maaler_id", "periode_fra", "periode_til", "maengde", "enhed"],
                ["M1", dt.datetime(2024, 1, 1), dt.datetime(2024, 2, 1), 300.25, "kWh"],
            ],
            "noter": [["bare noter"]],
        },
    )
    result, findings = validate(mem, tmp_path, {"indberetning.xlsx": content})
    assert not errors(findings)
    assert {n: c.accepted for n, c in result.counts.items() if c.files} == {
        "bygninger": 1,
        "maalere": 1,
        "forbrug": 1,
    }
    assert any(f["regel"] == "ukendt_ark" and f["ark"] == "noter" for f in findings)
    assert accepted(mem, "forbrug", "maengde, forsyningsart") == [(300.25, "el")]


def test_json_array_and_rows_object(tmp_path):
    rows = [
        {
            "bygning_id": "B1",
            "navn": "Skolen",
            "anvendelseskode": 421,
            "bruttodriftsareal_m2": 1000.5,
            "ejerforhold": "ejet",
        },
        {
            "bygning_id": "B2",
            "navn": "Hallen",
            "anvendelseskode": "533",
            "bruttodriftsareal_m2": None,
            "ejerforhold": "lejet",
        },
    ]
    for i, payload in enumerate((rows, {"rows": rows})):
        sub = tmp_path / str(i)
        mem = sandbox(sub / "duckdb")  # a validation seals its connection: one each
        result, findings = validate(mem, sub, {"bygninger.json": json.dumps(payload)})
        assert accepted(mem, "bygninger", "bygning_id, bruttodriftsareal_m2") == [("B1", 1000.5)]
        [f] = errors(findings)
        assert (f["raekke"], f["kolonne"], f["regel"]) == (2, "bruttodriftsareal_m2", "paakraevet")


def test_json_that_is_not_a_list_of_objects_is_a_file_finding(mem, tmp_path):
    _, findings = validate(mem, tmp_path, {"bygninger.json": '{"bygninger": 3}'})
    [f] = errors(findings, "ulaeselig_fil")
    assert "liste af objekter" in f["besked"]


def test_parquet_with_typed_columns(mem, tmp_path):
    table = pa.table(
        {
            "bygning_id": ["B1", "B2"],
            "navn": ["Skolen", "Hallen"],
            "anvendelseskode": pa.array([421, 998], pa.int32()),
            "bruttodriftsareal_m2": [1000.0, 200.0],
            "ejerforhold": ["ejet", "ejet"],
        }
    )
    path = tmp_path / "b.parquet"
    pq.write_table(table, path)
    result, findings = validate(mem, tmp_path, {"bygninger.parquet": path.read_bytes()})
    assert accepted(mem, "bygninger", "bygning_id") == [("B1",)]
    [f] = errors(findings)
    assert (f["raekke"], f["kolonne"], f["vaerdi"]) == (2, "anvendelseskode", "998")


def test_unsupported_and_broken_formats_are_findings(mem, tmp_path):
    _, findings = validate(
        mem,
        tmp_path,
        {"bygninger.pdf": b"%PDF-1.4", "maalere.xlsx": b"PK\x03\x04 broken", "forbrug.parquet": b"PAR1 nope"},
    )
    rules = {(f["fil"], f["regel"]) for f in errors(findings)}
    assert ("bygninger.pdf", "ukendt_format") in rules
    assert ("maalere.xlsx", "ulaeselig_fil") in rules
    assert ("forbrug.parquet", "ulaeselig_fil") in rules
