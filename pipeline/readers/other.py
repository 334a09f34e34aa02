"""XLSX and JSON, read in a child process with a memory limit (pipeline.readers.child), and Parquet, read by
DuckDB by column position. Like the CSV reader they produce a table of text columns plus `_row`; the
validator parses.

Row numbers: XLSX as Excel shows them (the header row is usually 1); JSON the object's position
(1 = the first object); Parquet the row's position (1 = the first row).

Names in a file (headers, JSON keys, Parquet column names, sheet names) are data: no reader puts one into SQL.
Columns are c0, c1, ... by position."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from pipeline.limits import MB, limits
from pipeline.readers.csv import ReadError, ReadResult, _too_many_columns
from pipeline.text import da_number


def new_table() -> str:
    return f"src_{uuid.uuid4().hex[:12]}"


@dataclass
class ChildTable:
    name: str  # sheet name ("" for JSON)
    headers: list[str]
    rows: int
    file: Path | None  # Arrow IPC file, None when `error`
    error: str | None


def _crash_text(kind: str, returncode: int) -> str:
    lim = limits()
    what = "Regnearket" if kind == "xlsx" else "Filen"
    try:
        sig = f"signal {signal.Signals(-returncode).name}" if returncode < 0 else f"kode {returncode}"
    except ValueError:
        sig = f"kode {returncode}"
    return (
        f"{what} kunne ikke læses: læseprogrammet stoppede uventet ({sig}). Det sker, når en fil kræver mere end "
        f"{da_number(lim.reader_memory_mb)} MB hukommelse at læse, fx et ark med en celle langt ude til højre eller "
        "nederst, eller en pakket fil, der fylder meget udpakket. Gem filen igen uden tomme områder, eller som CSV."
    )


def read_in_child(kind: str, path: Path, tmp_dir: Path) -> tuple[Path, list[ChildTable]]:
    """Run pipeline.readers.child on `path`. Raises ReadError (Danish) for a file-level finding, including a
    crash, a timeout or the memory limit of the child."""
    lim = limits()
    tmp_dir.mkdir(parents=True, exist_ok=True)
    out = Path(tempfile.mkdtemp(prefix=f"laeser_{kind}_", dir=tmp_dir))
    try:
        with open(out / "stderr.txt", "wb") as err:
            proc = subprocess.run(
                [sys.executable, "-m", "pipeline.readers.child", kind, str(path), str(out)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                timeout=lim.reader_seconds + 30,
                check=False,
            )
    except subprocess.TimeoutExpired as e:
        shutil.rmtree(out, ignore_errors=True)
        raise ReadError(
            f"Filen kunne ikke læses inden for {da_number(lim.reader_seconds)} sekunder; den er for stor eller "
            "usædvanligt opbygget. Del den op, eller gem den som CSV."
        ) from e
    meta_path = out / "meta.json"
    if proc.returncode != 0 or not meta_path.exists():
        shutil.rmtree(out, ignore_errors=True)
        raise ReadError(_crash_text(kind, proc.returncode or -1))
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("error"):
        shutil.rmtree(out, ignore_errors=True)
        raise ReadError(_crash_text(kind, -9) if meta["error"] == "memory" else meta["error"])
    return out, [
        ChildTable(t["name"], t["headers"], t["rows"], out / t["file"] if t["file"] else None, t["error"])
        for t in meta["tables"]
    ]


def load_arrow(con, headers: list[str], path: Path) -> ReadResult:
    """A child's Arrow file into a temporary DuckDB table (before the validation connection is sealed)."""
    table = new_table()
    with pa.memory_map(str(path)) as source:
        arrow = pa.ipc.open_file(source).read_all()  # noqa: F841 - DuckDB reads the local variable by name
        con.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM arrow")
        del arrow
    return ReadResult(table=table, headers=headers, encoding="", delimiter="", typed_numbers=True)


class Workbook:
    """An XLSX file read once, in a child process: its sheets' names and rows."""

    def __init__(self, path: Path, tmp_dir: Path):
        self.folder, self.sheets = read_in_child("xlsx", path, tmp_dir)

    @property
    def sheet_names(self) -> list[str]:
        return [s.name for s in self.sheets]

    def read(self, con, sheet: str | None) -> ReadResult:
        found = next((s for s in self.sheets if s.name == sheet), None) if sheet else self.sheets[0]
        if found is None:
            raise ReadError(f"Arket '{sheet}' findes ikke i regnearket.")
        if found.error:
            raise ReadError(found.error)
        res = load_arrow(con, found.headers, found.file)
        res.danish_text_numbers = True  # a number typed as text in a Danish spreadsheet: 1.040 is 1040
        return res

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def read_json(con, path: Path, tmp_dir: Path) -> ReadResult:
    lim = limits()
    size = path.stat().st_size
    if size > lim.json_mb * MB:
        raise ReadError(
            f"JSON-filen fylder {da_number(size // MB)} MB; højst {da_number(lim.json_mb)} MB er tilladt for JSON. Del "
            "den op, eller send den som CSV eller Parquet."
        )
    folder, [t] = read_in_child("json", path, tmp_dir)
    try:
        return load_arrow(con, t.headers, t.file)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def read_parquet(con, path: Path) -> ReadResult:
    """Parquet by DuckDB, after its footer says the file is within the limits. Columns are selected by
    position (`#1`), never by the names the file gives them."""
    lim = limits()
    table = new_table()
    p = str(path)
    try:
        [(rows,)] = con.execute("SELECT num_rows FROM parquet_file_metadata(?)", [p]).fetchall()
        [(unpacked,)] = con.execute(
            "SELECT coalesce(sum(total_uncompressed_size), 0) FROM parquet_metadata(?)", [p]
        ).fetchall()
        cols = [r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [p]).fetchall()]
    except Exception as e:
        raise ReadError(f"Filen kan ikke læses som Parquet: {_first_line(e, p)}") from e
    if rows > lim.parquet_rows or unpacked > lim.uncompressed_mb * MB:
        raise ReadError(
            f"Parquet-filen har {da_number(rows)} rækker og fylder {da_number(unpacked // MB)} MB udpakket; højst "
            f"{da_number(lim.parquet_rows)} rækker og {da_number(lim.uncompressed_mb)} MB er tilladt. Del den op."
        )
    if len(cols) > lim.columns:
        raise ReadError(_too_many_columns(len(cols), lim.columns))
    sel = ", ".join(f"CAST(#{i + 1} AS VARCHAR) AS c{i}" for i in range(len(cols)))
    try:
        con.execute(
            f"CREATE TEMP TABLE {table} AS SELECT {sel}{', ' if sel else ''}file_row_number + 1 AS _row "
            "FROM read_parquet(?, file_row_number = true)",
            [p],
        )
    except Exception as e:
        raise ReadError(f"Filen kan ikke læses som Parquet: {_first_line(e, p)}") from e
    return ReadResult(table=table, headers=cols, encoding="", delimiter="")


def _first_line(e: BaseException, path: str) -> str:
    """DuckDB's message without the server's path of the file, or anything beyond its first line."""
    text = str(e).strip().splitlines()
    first = (text[0] if text else type(e).__name__).replace(path, "filen")
    return first.split(": ", 1)[-1][:200]
