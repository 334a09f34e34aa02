"""Reading an untrusted spreadsheet or JSON file in a child process with a memory limit.

python-calamine aborts the whole process (a Rust allocation failure Python cannot catch) on an XLSX whose
dimension is huge, a zip bomb decompresses into gigabytes, and a deeply nested JSON document exhausts the
parser. So these files are read here, in a process of their own that limits its own address space, CPU time
and output size before it touches the file. Whatever happens to it, the parent (pipeline.readers.other) gets
either the rows or a Danish file-level finding: a crash of this process becomes "the file could not be read".

Protocol: `python -m pipeline.readers.child xlsx|json FILE OUTDIR`. The child writes OUTDIR/meta.json and one
Arrow IPC file per table (`_row` BIGINT and text columns c0, c1, ...). meta.json is
`{"error": "..."}` for a file-level finding, else `{"tables": [{"name", "headers", "rows", "file", "error",
"notes"}]}` (one table per sheet; JSON has one, named ""). Limits come from the environment
(pipeline.limits), which the child inherits.

This module imports neither DuckDB nor the rest of the platform: the child stays small."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import resource
import sys
from pathlib import Path

from pipeline.limits import MB, Limits
from pipeline.text import da_number

# A number a reader took from a typed cell (an XLSX number, a JSON number) is written as text with this mark
# in front: it is canonical (decimal point, no grouping), so the validator never applies a column's Danish
# decimal-comma convention to it. The validator strips the mark before anything else.
TYPED_NUMBER = "\x1f"
BATCH_ROWS = 100_000
_SURROGATES = re.compile("[\ud800-\udfff]")


class FileFinding(Exception):
    """A Danish file-level finding."""


class FloatText(str):
    """A JSON number with a fraction or exponent, kept as the text the file has (1e309 stays 1e309)."""


def cell_text(v) -> str | None:
    """A cell as the text a person would have typed; typed numbers that are not whole carry TYPED_NUMBER."""
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, FloatText):
        return TYPED_NUMBER + str(v)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return str(v)  # 'nan', 'inf': the validator rejects them as invalid values
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return TYPED_NUMBER + repr(v)
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, dt.time):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        return str(v)
    if isinstance(v, (dict, list)):
        return _no_surrogates(json.dumps(v, ensure_ascii=False))
    return _no_surrogates(str(v))


def _no_surrogates(s: str) -> str:
    """Lone surrogates (a JSON escape such as "\\ud800") cannot be UTF-8: each becomes U+FFFD."""
    return _SURROGATES.sub("\ufffd", s) if _SURROGATES.search(s) else s


def _limit_self(lim: Limits) -> None:
    mem = lim.reader_memory_mb * MB
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_CPU, (lim.reader_seconds, lim.reader_seconds + 5))
    out = 4 * lim.uncompressed_mb * MB
    resource.setrlimit(resource.RLIMIT_FSIZE, (out, out))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


class TableWriter:
    """Rows into an Arrow IPC file in batches (bounded memory)."""

    def __init__(self, path: Path, width: int):
        import pyarrow as pa

        self.pa = pa
        self.path = path
        self.schema = pa.schema([("_row", pa.int64())] + [(f"c{i}", pa.string()) for i in range(width)])
        self.width = width
        self.sink = pa.OSFile(str(path), "wb")
        self.writer = pa.ipc.new_file(self.sink, self.schema)
        self.rows: list[int] = []
        self.cols: list[list] = [[] for _ in range(width)]
        self.count = 0

    def add(self, row_number: int, values: list[str | None]) -> None:
        self.rows.append(row_number)
        for i in range(self.width):
            self.cols[i].append(values[i] if i < len(values) else None)
        if len(self.rows) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        pa = self.pa
        arrays = [pa.array(self.rows, pa.int64())] + [pa.array(c, pa.string()) for c in self.cols]
        self.writer.write_batch(pa.record_batch(arrays, schema=self.schema))
        self.count += len(self.rows)
        self.rows = []
        self.cols = [[] for _ in range(self.width)]

    def close(self) -> int:
        self.flush()
        self.writer.close()
        self.sink.close()
        return self.count


# ------------------------------------------------------------------------------------------------ XLSX

_COL_RE = re.compile(
    rb"<(?:\w+:)?dimension\b[^>]*?\bref=\"([A-Z]{1,3})(\d{1,7})(?::([A-Z]{1,3})(\d{1,7}))?\""
)


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def check_workbook(path: Path, lim: Limits) -> None:
    """Before any cell is read: the zip directory's uncompressed sizes and each sheet's stated dimension."""
    import zipfile

    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise FileFinding(
            "Regnearket kan ikke åbnes: det er ikke en gyldig .xlsx-fil. Gem det igen som Excel-projektmappe "
            "(.xlsx)."
        ) from e
    with z:
        infos = z.infolist()
        total = sum(i.file_size for i in infos)
        if len(infos) > 10_000 or total > lim.uncompressed_mb * MB:
            raise FileFinding(
                f"Regnearket fylder {da_number(total // MB)} MB udpakket ({da_number(len(infos))} dele); højst "
                f"{da_number(lim.uncompressed_mb)} MB er tilladt. Del det op i flere filer, eller gem det som CSV."
            )
        for info in infos:
            if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
                continue
            try:
                with z.open(info) as f:
                    head = f.read(64 * 1024)
            except Exception as e:  # a broken or encrypted member
                raise FileFinding(f"Regnearket kan ikke læses: delen {info.filename} er beskadiget.") from e
            m = _COL_RE.search(head)
            if not m:
                continue
            c1, r1, c2, r2 = m.groups()
            c2, r2 = c2 or c1, r2 or r1
            rows = abs(int(r2) - int(r1)) + 1
            cols = abs(_col_number(c2) - _col_number(c1)) + 1
            if rows * cols > lim.cells:
                ref = f"{c1.decode()}{r1.decode()}:{c2.decode()}{r2.decode()}"
                raise FileFinding(
                    f"Et ark i regnearket spænder over {ref}: {da_number(rows)} rækker × {da_number(cols)} kolonner = "
                    f"{da_number(rows * cols)} celler; højst {da_number(lim.cells)} er tilladt. Slet tomme rækker og "
                    "kolonner uden for dataene (eller formatering langt nede i arket), og gem igen."
                )


def read_workbook(path: Path, out: Path, lim: Limits) -> dict:
    check_workbook(path, lim)
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
        names = list(wb.sheet_names)
    except Exception as e:
        raise FileFinding(f"Regnearket kan ikke åbnes: {_first_line(e)}. Gem det igen som .xlsx.") from e
    tables = []
    for i, name in enumerate(names):
        entry = {
            "name": _no_surrogates(name),
            "headers": [],
            "rows": 0,
            "file": None,
            "error": None,
            "notes": [],
        }
        tables.append(entry)
        try:
            sheet = wb.get_sheet_by_index(i)
        except Exception as e:
            entry["error"] = f"Arket '{entry['name']}' kan ikke læses: {_first_line(e)}."
            continue
        if sheet.height * sheet.width > lim.cells:
            entry["error"] = (
                f"Arket '{entry['name']}' har {da_number(sheet.height)} rækker × {da_number(sheet.width)} kolonner; højst "
                f"{da_number(lim.cells)} celler er tilladt."
            )
            continue
        writer = None
        for offset, cells in enumerate(sheet.iter_rows()):
            values = [cell_text(v) for v in cells]
            if writer is None:
                if not any(values):
                    continue  # rows above the header
                if len(values) > lim.columns:
                    entry["error"] = (
                        f"Arket '{entry['name']}' har {da_number(len(values))} kolonner; højst {da_number(lim.columns)} er "
                        "tilladt."
                    )
                    break
                entry["headers"] = [(v or "").strip() for v in values]
                entry["file"] = f"{i}.arrow"
                writer = TableWriter(out / entry["file"], len(values))
                continue
            if any(values):
                writer.add(offset + 1, values)  # the row number Excel shows (iter_rows starts at row 1)
        if writer is not None:
            entry["rows"] = writer.close()
        elif entry["error"] is None:
            entry["error"] = f"Arket '{entry['name']}' er tomt."
    return {"tables": tables}


# ------------------------------------------------------------------------------------------------ JSON

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")


def json_depth(text: str, limit: int) -> int:
    """The nesting depth of a JSON text, counted without recursion; stops counting once past `limit`."""
    depth = deepest = 0
    for m in _BRACKETS.finditer(_STRINGS.sub("", text)):
        if m.group() in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        else:
            depth -= 1
    return deepest


def read_json_file(path: Path, out: Path, lim: Limits) -> dict:
    data = path.read_bytes()
    try:
        text = data.decode(json.detect_encoding(data))
    except (UnicodeDecodeError, LookupError) as e:
        raise FileFinding(
            f"Filen er ikke gyldig JSON i UTF-8 (ukendt byte ved position {getattr(e, 'start', '?')}). Gem den "
            "som UTF-8."
        ) from e
    text = text.lstrip("\ufeff")
    depth = json_depth(text, lim.json_depth)
    if depth > lim.json_depth:
        raise FileFinding(
            f"JSON-filen er indlejret mere end {lim.json_depth} niveauer dybt; rækkerne skal være en liste af "
            'objekter (eller {"rows": [...]}) med enkle værdier.'
        )
    try:
        doc = json.loads(text, parse_float=FloatText, parse_constant=str)
    except ValueError as e:  # JSONDecodeError, and integers too long to convert
        raise FileFinding(f"Filen er ikke gyldig JSON: {_first_line(e)}.") from e
    if isinstance(doc, dict) and isinstance(doc.get("rows"), list):
        doc = doc["rows"]
    if not isinstance(doc, list) or not all(isinstance(r, dict) for r in doc):
        raise FileFinding('JSON skal være en liste af objekter eller {"rows": [...]}.')
    headers: dict[str, None] = {}
    for r in doc:
        for k in r:
            headers.setdefault(k, None)
            if len(headers) > lim.columns:
                raise FileFinding(
                    f"JSON-filen har mere end {da_number(lim.columns)} forskellige felter; det er for mange."
                )
    names = list(headers)
    writer = TableWriter(out / "0.arrow", len(names))
    for i, r in enumerate(doc):
        writer.add(i + 1, [cell_text(r.get(k)) for k in names])
    rows = writer.close()
    shown = [_no_surrogates(str(k)) for k in names]
    return {
        "tables": [
            {"name": "", "headers": shown, "rows": rows, "file": "0.arrow", "error": None, "notes": []}
        ]
    }


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return _no_surrogates(text[0][:300]) if text else type(e).__name__


READERS = {"xlsx": read_workbook, "json": read_json_file}


class _NoPandas:
    """An import finder that says pandas is not installed."""

    def find_spec(self, name, path=None, target=None):
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("pandas is not used in the reader process")
        return None


def main(argv: list[str]) -> int:
    # pyarrow imports pandas (0,4 s) the first time it converts a Python list, only to ask whether the list is
    # a pandas object: the child has none, so it tells pyarrow that pandas is not there
    sys.meta_path.insert(0, _NoPandas())
    kind, path, out = argv
    lim = Limits.from_env()
    _limit_self(lim)
    sys.setrecursionlimit(10_000)
    out_dir = Path(out)
    try:
        meta = READERS[kind](Path(path), out_dir, lim)
    except FileFinding as e:
        meta = {"error": str(e)}
    except MemoryError:
        meta = {"error": "memory"}
    (out_dir / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
