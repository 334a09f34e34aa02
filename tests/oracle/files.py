"""Reading a submission's files for the oracle, from the contract (INFORMATION_MODEL.md, "Submissions, files
and folders") and the published JSON schemas in docs/skema (their titles are the Danish header labels).
Written apart from pipeline/readers: nothing here is imported from pipeline/.

Only what the oracle's inputs need is implemented: CSV (`;` `,` tab; UTF-8 with or without BOM,
Windows-1252; CRLF; a trailing separator; decimal comma with thousands dots), XLSX (a file per dataset or a
workbook with a sheet per dataset), JSON (an array or {"rows": [...]}) and Eloverblik exports."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATASETS = (
    "bygninger",
    "udgifter",
    "forbrug",
    "maalere",
    "vedligehold",
    "indeklima_maalinger",
    "indeklima_vurderinger",
    "anvendelse",
    "udnyttelse",
    "understoettelse",
)
_DANISH = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "ae", "Ø": "oe", "Å": "aa"})


def fold(v: str) -> str:
    v = str(v).strip().translate(_DANISH).lower()
    v = unicodedata.normalize("NFKD", v)
    return "".join(c for c in v if not unicodedata.combining(c))


def key(v: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(v))


def _aliases() -> dict[str, dict[str, str]]:
    """dataset -> header key -> contract column: the contract names and the Danish titles of docs/skema."""
    out: dict[str, dict[str, str]] = {}
    for ds in DATASETS:
        schema = json.loads((REPO / "docs" / "skema" / f"{ds}.schema.json").read_text(encoding="utf-8"))
        m = {}
        for col, spec in schema["properties"].items():
            m[key(col)] = col
            if spec.get("title"):
                m[key(spec["title"])] = col
        out[ds] = m
    # Eloverblik's export (INFORMATION_MODEL.md, forbrug): Målepunkt id;Fra dato;Til dato;Mængde;Måleenhed;...
    out["forbrug"].update(
        {
            "maalepunktid": "maaler_id",
            "fradato": "periode_fra",
            "tildato": "periode_til",
            "maengde": "maengde",
            "maaleenhed": "enhed",
            "kvalitet": "_kvalitet",
            "type": "_type",
        }
    )
    return out


ALIASES = _aliases()


@dataclass
class Table:
    dataset: str
    source: str  # file (and sheet)
    rows: list[dict]  # contract column -> raw value (str, or a native value from XLSX/JSON), file order
    danish: bool  # decimal comma / thousands dot


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def _csv(path: Path) -> tuple[list[list[str]], bool]:
    text = _decode(path.read_bytes())
    first = text.splitlines()[0] if text else ""
    sep = max((";", ",", "\t"), key=first.count)
    rows = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=sep) if any(c.strip() for c in r)]
    if sep == ";":
        danish = True
    elif sep == ",":
        danish = False
    else:
        danish = any(re.search(r"\d,\d", c) for r in rows[1:] for c in r)
    return rows, danish


def _xlsx(path: Path) -> dict[str, list[list]]:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    finally:
        wb.close()


def _records(dataset: str, grid: list[list], source: str, danish: bool) -> Table:
    header = [ALIASES[dataset].get(key(h) if h is not None else "", None) for h in grid[0]]
    rows = []
    for r in grid[1:]:
        if all(c is None or str(c).strip() == "" for c in r):
            continue
        rows.append({c: v for c, v in zip(header, r, strict=False) if c is not None})
    return Table(dataset, source, rows, danish)


def _dataset_of(name: str) -> str | None:
    n = fold(name)
    for ds in sorted(DATASETS, key=len, reverse=True):
        if n.startswith(ds):
            return ds
    return None


def read_file(path: Path, dataset: str | None) -> list[Table]:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        if dataset is None:
            return []
        grid, danish = _csv(path)
        return [_records(dataset, grid, path.name, danish)] if grid else []
    if suffix == ".json":
        if dataset is None:
            return []
        data = json.loads(path.read_text(encoding="utf-8"))
        recs = data["rows"] if isinstance(data, dict) else data
        rows = [
            {ALIASES[dataset].get(key(k)): v for k, v in r.items() if ALIASES[dataset].get(key(k))}
            for r in recs
        ]
        return [Table(dataset, path.name, rows, False)]
    if suffix == ".xlsx":
        sheets = _xlsx(path)
        out = []
        for title, grid in sheets.items():
            ds = dataset if dataset is not None and len(sheets) == 1 else _dataset_of(title)
            if ds is not None and grid:
                out.append(_records(ds, grid, f"{path.name}:{title}", False))
        return out
    raise ValueError(f"oracle reader: unsupported file {path}")


def read_submission(folder: Path) -> dict[str, list[Table]]:
    """Every dataset's tables in a submission folder, files in name order, rows in file order."""
    out: dict[str, list[Table]] = {ds: [] for ds in DATASETS}
    for p in sorted(folder.iterdir()):
        if p.is_dir():
            ds = _dataset_of(p.name)
            for f in sorted(p.rglob("*")):
                if f.is_file():
                    for t in read_file(f, ds):
                        out[t.dataset].append(t)
        elif p.is_file():
            for t in read_file(p, _dataset_of(p.name)):
                out[t.dataset].append(t)
    return out


# ---- values -------------------------------------------------------------------------------------------


def blank(v) -> bool:
    return v is None or (isinstance(v, str) and v.strip() == "") or (isinstance(v, float) and v != v)


def text(v) -> str | None:
    if blank(v):
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def num(v, danish: bool) -> float | None:
    """A decimal: native numbers as they are; text in the file's convention (Danish: `1.234,5`)."""
    if blank(v):
        return None
    if isinstance(v, bool):
        raise ValueError(v)
    if isinstance(v, int | float):
        return float(v)
    s = str(v).strip().replace(" ", "").replace("\u00a0", "")
    if danish:
        s = s.replace(".", "").replace(",", ".")
    elif "," in s and "." not in s:
        s = s.replace(",", ".")
    elif "," in s:
        s = s.replace(",", "")
    return float(s)


def code(v) -> str | None:
    t = text(v)
    return fold(t) if t is not None else None


def boolean(v) -> bool | None:
    if blank(v):
        return None
    if isinstance(v, bool):
        return v
    s = fold(str(v))
    if s in ("1", "true", "ja", "j", "1.0"):
        return True
    if s in ("0", "false", "nej", "n", "0.0"):
        return False
    raise ValueError(v)


_DATE = [
    (re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"), (1, 2, 3)),
    (re.compile(r"^(\d{2})-(\d{2})-(\d{4})$"), (3, 2, 1)),
    (re.compile(r"^(\d{2})\.(\d{2})\.(\d{4})$"), (3, 2, 1)),
]
_TS = re.compile(
    r"^(?P<d>\d{4}-\d{2}-\d{2}|\d{2}[.-]\d{2}[.-]\d{4})[ T](?P<h>\d{2})[:.](?P<m>\d{2})(?:[:.](?P<s>\d{2})(?:\.\d+)?)?"
    r"(?P<tz>Z|[+-]\d{2}:?\d{2})?$"
)


def parse_date(s: str) -> date:
    for rx, (y, m, d) in _DATE:
        mt = rx.match(s)
        if mt:
            return date(int(mt.group(y)), int(mt.group(m)), int(mt.group(d)))
    raise ValueError(s)


def timestamp(v):
    """('date', date) | ('naive', datetime: local wall time) | ('aware', datetime with offset)."""
    if blank(v):
        return None
    if isinstance(v, datetime):
        if v.tzinfo is not None:
            return ("aware", v)
        if (v.hour, v.minute, v.second) == (0, 0, 0):
            return ("date", v.date())
        return ("naive", v)
    if isinstance(v, date):
        return ("date", v)
    s = str(v).strip()
    try:
        return ("date", parse_date(s))
    except ValueError:
        pass
    mt = _TS.match(s)
    if not mt:
        raise ValueError(s)
    d = parse_date(mt.group("d"))
    dt = datetime(d.year, d.month, d.day, int(mt.group("h")), int(mt.group("m")), int(mt.group("s") or 0))
    tz = mt.group("tz")
    if tz:
        return ("aware", datetime.fromisoformat(dt.isoformat() + ("+00:00" if tz == "Z" else tz)))
    return ("naive", dt)
