"""XLSX (python-calamine; DuckDB's excel extension downloads at runtime and fails offline), JSON and
Parquet. Like the CSV reader they produce a table of text columns plus `_row`; the validator parses.

Row numbers: XLSX as Excel shows them (the header row is usually 1); JSON the object's position
(1 = the first object); Parquet the row's position (1 = the first row)."""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid
from pathlib import Path

import pyarrow as pa

from pipeline.readers.csv import ReadError, ReadResult


def _text(v) -> str | None:
    """A cell as the text a person would have typed."""
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return None
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, dt.time):
        return v.isoformat()
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


def register_rows(con, headers: list[str], rows: list[tuple[int, list]]) -> ReadResult:
    """A table of text columns c0, c1, ... plus `_row` from Python rows (row number, values)."""
    table = f"src_{uuid.uuid4().hex[:12]}"
    cols = {"_row": pa.array([r for r, _ in rows], pa.int64())}
    for i in range(len(headers)):
        cols[f"c{i}"] = pa.array([_text(vals[i]) if i < len(vals) else None for _, vals in rows], pa.string())
    arrow = pa.table(cols)  # noqa: F841 - DuckDB reads the local variable by name
    con.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM arrow")
    return ReadResult(table=table, headers=headers, encoding="", delimiter="")


def sheet_names(path: Path) -> list[str]:
    from python_calamine import CalamineWorkbook

    try:
        return list(CalamineWorkbook.from_path(str(path)).sheet_names)
    except Exception as e:
        raise ReadError(f"Regnearket kan ikke åbnes: {e}. Gem det igen som .xlsx.") from e


def read_xlsx(con, path: Path, sheet: str | None = None) -> ReadResult:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
        name = sheet or wb.sheet_names[0]
        data = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception as e:
        raise ReadError(f"Regnearket kan ikke læses: {e}. Gem det igen som .xlsx.") from e
    header_at = next((i for i, r in enumerate(data) if any(_text(v) for v in r)), None)
    if header_at is None:
        raise ReadError(f"Arket '{name}' er tomt.")
    headers = [(_text(v) or "").strip() for v in data[header_at]]
    rows = [(i + 1, r) for i, r in enumerate(data) if i > header_at and any(_text(v) for v in r)]
    res = register_rows(con, headers, rows)
    res.danish_text_numbers = True  # a number typed as text in a Danish spreadsheet: 1.040 is 1040
    return res


def read_json(con, path: Path) -> ReadResult:
    try:
        with open(path, encoding="utf-8-sig") as f:
            data = json.load(f)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ReadError(f"Filen er ikke gyldig JSON (UTF-8): {e}.") from e
    if isinstance(data, dict) and isinstance(data.get("rows"), list):
        data = data["rows"]
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise ReadError('JSON skal være en liste af objekter eller {"rows": [...]}.')
    headers: dict[str, None] = {}
    for r in data:
        for k in r:
            headers.setdefault(str(k), None)
    names = list(headers)
    rows = [(i + 1, [r.get(k) for k in names]) for i, r in enumerate(data)]
    return register_rows(con, names, rows)


def read_parquet(con, path: Path) -> ReadResult:
    table = f"src_{uuid.uuid4().hex[:12]}"
    try:
        cols = [r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()]
        sel = ", ".join(f'CAST("{c}" AS VARCHAR) AS c{i}' for i, c in enumerate(cols))
        con.execute(
            f"CREATE TEMP TABLE {table} AS SELECT file_row_number + 1 AS _row, {sel} "
            "FROM read_parquet(?, file_row_number = true)",
            [str(path)],
        )
    except Exception as e:
        raise ReadError(f"Filen kan ikke læses som Parquet: {str(e).splitlines()[0]}") from e
    return ReadResult(table=table, headers=cols, encoding="", delimiter="")
