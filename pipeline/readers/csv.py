"""CSV as Danish systems write it: `;`, `,` or tab; UTF-8 with or without BOM or Windows-1252; CRLF;
a trailing separator; quoted fields with newlines. Parsing is DuckDB's; this module only sniffs the
encoding and separator and transcodes Windows-1252 to UTF-8 in streamed chunks (DuckDB's own cp1252
support needs an extension download, which fails offline)."""

from __future__ import annotations

import codecs
import csv
import io
import uuid
from dataclasses import dataclass, field
from pathlib import Path

CHUNK = 1 << 20
csv.field_size_limit(1 << 28)  # the csv-module path (files with empty lines) accepts fields as DuckDB does
DELIMITERS = (";", ",", "\t")


class ReadError(Exception):
    """A file-level problem; the message is Danish and meant for the contributor."""


@dataclass
class ReadResult:
    table: str  # DuckDB table: `_row` BIGINT + one VARCHAR column per header (c0, c1, ...)
    headers: list[str]  # original header text per column c0, c1, ...
    encoding: str
    delimiter: str
    notes: list[str] = field(default_factory=list)
    danish_text_numbers: bool = False  # text numbers follow Danish habits (`;` CSV, spreadsheet text cells)


@dataclass(frozen=True)
class FileScan:
    encoding: str  # utf-8-sig (BOM), utf-8 or cp1252
    empty_lines: bool  # a wholly empty line (DuckDB drops those before numbering rows)


def scan(path: Path) -> FileScan:
    """One pass over the bytes, in chunks: the encoding and whether there is an empty line. Only a file that is
    not UTF-8 is read a second time, to check that it is Windows-1252."""
    utf8 = codecs.getincrementaldecoder("utf-8")()
    utf8_ok, empty, prev = True, False, b""
    with open(path, "rb") as f:
        bom = f.read(3) == codecs.BOM_UTF8
        f.seek(0)
        while chunk := f.read(CHUNK):
            if not empty:
                window = prev + chunk
                empty = b"\n\n" in window or b"\n\r\n" in window
                prev = chunk[-2:]
            if utf8_ok and not bom:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError:
                    utf8_ok = False
    if bom:
        return FileScan("utf-8-sig", empty)
    if utf8_ok:
        try:
            utf8.decode(b"", final=True)
            return FileScan("utf-8", empty)
        except UnicodeDecodeError:
            pass
    cp1252 = codecs.getincrementaldecoder("cp1252")()
    with open(path, "rb") as f:
        try:
            while chunk := f.read(CHUNK):
                cp1252.decode(chunk)
        except UnicodeDecodeError as e:
            raise ReadError(
                "Filen kan ikke læses: den er hverken gyldig UTF-8 eller Windows-1252 "
                f"(ukendt byte {e.object[e.start : e.start + 1].hex()}). Gem den som CSV UTF-8."
            ) from e
    return FileScan("cp1252", empty)


def first_line(path: Path, encoding: str) -> str:
    with open(path, encoding=encoding, newline="") as f:
        return f.readline().rstrip("\r\n")


def sniff_delimiter(header_line: str) -> str:
    """The separator that splits the header into the most fields (quotes respected)."""
    best, best_n = ";", 0
    for d in DELIMITERS:
        n = len(next(csv.reader([header_line], delimiter=d)))
        if n > best_n:
            best, best_n = d, n
    return best


def parse_header(header_line: str, delimiter: str) -> list[str]:
    cells = next(csv.reader(io.StringIO(header_line), delimiter=delimiter))
    return [c.strip().lstrip("\ufeff") for c in cells]


def transcode_to_utf8(src: Path, dst: Path, encoding: str) -> None:
    """Stream `src` in `encoding` to `dst` in UTF-8, chunk by chunk (bounded memory)."""
    dec = codecs.getincrementaldecoder(encoding)()
    with open(src, "rb") as fin, open(dst, "w", encoding="utf-8", newline="") as fout:
        while chunk := fin.read(CHUNK):
            fout.write(dec.decode(chunk))
        fout.write(dec.decode(b"", final=True))


def read_csv_by_records(con, path: Path, encoding: str, delimiter: str) -> ReadResult:
    """Python's csv module, for the rare file with empty lines: an empty line is a row in a spreadsheet, so
    the rows after it keep the numbers the contributor sees. (Per-row Python; such files are small.)"""
    from pipeline.readers.other import register_rows

    with open(path, encoding=encoding, newline="") as f:
        records = list(csv.reader(f, delimiter=delimiter))
    headers = [c.strip().lstrip("\ufeff") for c in records[0]]
    rows = [(i + 1, r) for i, r in enumerate(records) if i > 0 and any(c.strip() for c in r)]
    return register_rows(con, headers, rows)


def read_csv(con, path: Path, tmp_dir: Path) -> ReadResult:
    """Load `path` into a new temporary DuckDB table of text columns. Raises ReadError (Danish)."""
    if path.stat().st_size == 0:
        raise ReadError("Filen er tom.")
    found = scan(path)
    encoding = found.encoding
    header_line = first_line(path, encoding)
    if not header_line.strip():
        raise ReadError("Filen har ingen overskriftsrække i række 1.")
    delimiter = sniff_delimiter(header_line)
    headers = parse_header(header_line, delimiter)
    if found.empty_lines:
        try:
            res = read_csv_by_records(con, path, encoding, delimiter)
        except csv.Error as e:
            raise ReadError(f"Filen kan ikke læses som CSV: {e}") from e
        res.encoding, res.delimiter, res.danish_text_numbers = encoding, delimiter, delimiter == ";"
        return res
    # A trailing separator gives an empty last header: keep it as a column nobody maps to.
    source = path
    notes = []
    if encoding == "cp1252":
        tmp_dir.mkdir(parents=True, exist_ok=True)
        source = tmp_dir / f"{uuid.uuid4().hex}.csv"
        transcode_to_utf8(path, source, encoding)
        notes.append("Filen er læst som Windows-1252 (dansk Excel).")
    table = f"src_{uuid.uuid4().hex[:12]}"
    names = [f"c{i}" for i in range(len(headers))]
    columns = ", ".join(f"'{n}': 'VARCHAR'" for n in names)
    sql = f"""
        CREATE TEMP TABLE {table}_load AS
        SELECT * FROM read_csv(?, header = true, all_varchar = true, delim = ?, quote = '"',
                               escape = '"', null_padding = true, strict_mode = false,
                               auto_detect = false, parallel = {{parallel}}, columns = {{{{{columns}}}}})
    """
    try:
        try:
            con.execute(sql.format(parallel="true"), [str(source), delimiter])
        except Exception:
            # DuckDB's parallel scanner refuses quoted newlines with null padding: read serially.
            con.execute(f"DROP TABLE IF EXISTS {table}_load")
            con.execute(sql.format(parallel="false"), [str(source), delimiter])
        # rowid follows insertion order, which follows the file: the header is row 1.
        con.execute(f"CREATE TEMP TABLE {table} AS SELECT rowid + 2 AS _row, * FROM {table}_load")
        con.execute(f"DROP TABLE {table}_load")
    except Exception as e:  # DuckDB's message, translated to a file-level finding
        detail = " ".join(str(e).splitlines()[:2])
        raise ReadError(f"Filen kan ikke læses som CSV: {detail}") from e
    finally:
        if source != path:
            source.unlink(missing_ok=True)
    # Blank lines are not rows.
    cond = " AND ".join(f"(c{i} IS NULL OR trim(c{i}) = '')" for i in range(len(names)))
    con.execute(f"DELETE FROM {table} WHERE {cond}")
    return ReadResult(
        table=table,
        headers=headers,
        encoding=encoding,
        delimiter=delimiter,
        notes=notes,
        danish_text_numbers=delimiter == ";",
    )
