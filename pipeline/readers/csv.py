"""CSV as Danish systems write it: `;`, `,` or tab; UTF-8 with or without BOM or Windows-1252; CRLF;
a trailing separator; quoted fields with newlines. Parsing is DuckDB's; this module only sniffs the
encoding and separator and transcodes Windows-1252 to UTF-8 in streamed chunks (DuckDB's own cp1252
support needs an extension download, which fails offline)."""

from __future__ import annotations

import codecs
import csv
import io
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.limits import limits

CHUNK = 1 << 20
DELIMITERS = (";", ",", "\t")
BATCH_ROWS = 100_000
UTF16_BOMS = {codecs.BOM_UTF16_LE: "utf-16-le", codecs.BOM_UTF16_BE: "utf-16-be"}


class ReadError(Exception):
    """A file-level problem; the message is Danish and meant for the contributor."""


@dataclass
class ReadResult:
    table: str  # DuckDB table: `_row` BIGINT + one VARCHAR column per header (c0, c1, ...)
    headers: list[str]  # original header text per column c0, c1, ...
    encoding: str
    delimiter: str
    notes: list[str] = field(default_factory=list)  # how it was read (info)
    warnings: list[str] = field(default_factory=list)  # file-level warnings for the contributor
    danish_text_numbers: bool = False  # text numbers follow Danish habits (`;` CSV, spreadsheet text cells)
    typed_numbers: bool = False  # typed cells' numbers carry pipeline.readers.child.TYPED_NUMBER (XLSX, JSON)
    loaded: str | None = (
        None  # when `table` is a view: the table it reads (DuckDB's read, without row numbers)
    )

    def release(self, con) -> None:
        """Drop what the reader made."""
        if self.loaded:
            con.execute(f"DROP VIEW IF EXISTS {self.table}")
            con.execute(f"DROP TABLE IF EXISTS {self.loaded}")
        else:
            con.execute(f"DROP TABLE IF EXISTS {self.table}")


@dataclass(frozen=True)
class FileScan:
    encoding: str  # utf-8-sig (BOM), utf-8, cp1252 (some line is not UTF-8), utf-16-le or utf-16-be
    empty_lines: bool  # a wholly empty line (DuckDB drops those before numbering rows)


def _utf16(head: bytes) -> str | None:
    """UTF-16 by its byte-order mark, or without one by the zero bytes of ASCII text (`n\0a\0v\0n\0`)."""
    for bom, name in UTF16_BOMS.items():
        if head.startswith(bom):
            return name
    sample = head[:4096]
    if len(sample) >= 8:
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
            return "utf-16-le"
        if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
            return "utf-16-be"
    return None


def scan(path: Path) -> FileScan:
    """One pass over the bytes, in chunks: the encoding and whether there is an empty line. A file that is not
    UTF-8 as a whole is `cp1252`: it is transcoded line by line (transcode_lines), which names the lines that
    are neither. A file of mostly zero bytes (a sparse or binary file) is no CSV file."""
    utf8 = codecs.getincrementaldecoder("utf-8")()
    utf8_ok, empty, prev, zeros, size = True, False, b"", 0, 0
    with open(path, "rb") as f:
        head = f.read(4096)
        if wide := _utf16(head):
            return FileScan(wide, False)  # empty lines are looked for after transcoding
        bom = head.startswith(codecs.BOM_UTF8)
        f.seek(0)
        while chunk := f.read(CHUNK):
            size += len(chunk)
            zeros += chunk.count(0)
            if not empty:
                window = prev + chunk
                empty = b"\n\n" in window or b"\n\r\n" in window
                prev = chunk[-2:]
            if utf8_ok:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError:
                    utf8_ok = False
    if zeros > max(1000, size // 100):
        raise ReadError(
            f"Filen indeholder {zeros:,} nul-bytes og er ikke en tekstfil (CSV); er det en anden filtype med "
            "forkert endelse? Gem den som CSV UTF-8.".replace(",", ".")
        )
    if utf8_ok:
        try:
            utf8.decode(b"", final=True)
            return FileScan("utf-8-sig" if bom else "utf-8", empty)
        except UnicodeDecodeError:
            pass
    return FileScan("cp1252", empty)  # a BOM does not make the rest UTF-8: transcode_lines drops the BOM


def first_line(path: Path, encoding: str, max_bytes: int | None = None) -> str:
    """The header record, read with a bound: a file without a line break (a sparse file of zeros, say) is
    never read whole into memory. A quoted header may hold a line break (`"ny<LF>linje"`): the record ends at
    the first line break outside quotes."""
    max_bytes = max_bytes or limits().header_bytes
    with open(path, encoding=encoding, errors="replace", newline="") as f:
        text = f.read(max_bytes + 1)
    quoted = False
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif ch == "\n" and not quoted:
            return text[:i].rstrip("\r")
    if len(text) > max_bytes:
        raise ReadError(
            f"Overskriftsrækken (række 1) er længere end {max_bytes:,} tegn; det er ikke en CSV-fil med "
            "en overskrift, eller der mangler linjeskift.".replace(",", ".")
        )
    return text.rstrip("\r\n")


def sniff_delimiter(header_line: str) -> str:
    """The separator that splits the header into the most fields (quotes respected)."""
    best, best_n = ";", 0
    for d in DELIMITERS:
        try:
            n = len(next(csv.reader(io.StringIO(header_line), delimiter=d)))
        except csv.Error:  # e.g. a lone carriage return inside the header
            continue
        if n > best_n:
            best, best_n = d, n
    return best


def parse_header(header_line: str, delimiter: str) -> list[str]:
    try:
        cells = next(csv.reader(io.StringIO(header_line), delimiter=delimiter))
    except csv.Error as e:
        raise ReadError(
            f"Overskriftsrækken (række 1) kan ikke læses som CSV: {str(e).split(' - ')[0]}."
        ) from e
    return [c.strip().lstrip("\ufeff") for c in cells]


def transcode_to_utf8(src: Path, dst: Path, encoding: str) -> None:
    """Stream `src` in `encoding` to `dst` in UTF-8, chunk by chunk (bounded memory)."""
    dec = codecs.getincrementaldecoder(encoding)()
    with open(src, "rb") as fin, open(dst, "w", encoding="utf-8", newline="") as fout:
        while chunk := fin.read(CHUNK):
            fout.write(dec.decode(chunk))
        fout.write(dec.decode(b"", final=True))


@dataclass
class Transcoded:
    cp1252_lines: list[int] = field(default_factory=list)  # first few line numbers read as Windows-1252
    cp1252_count: int = 0
    utf8_non_ascii: bool = False  # some line is UTF-8 with letters beyond ASCII (so the file mixes the two)


def transcode_lines(src: Path, dst: Path) -> Transcoded:
    """A file that is not UTF-8 as a whole, to UTF-8 line by line: each line that is valid UTF-8 stays UTF-8,
    every other line is read as Windows-1252. A file that mixes the two (rows pasted from another system) is
    then read as its writer meant, and the caller can name the lines read as Windows-1252. Chunks that are
    UTF-8 as a whole are copied without splitting them (bounded memory, one pass)."""
    out = Transcoded()
    line_no = 0  # lines (by LF) written so far
    rest = b""
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        if fin.read(len(codecs.BOM_UTF8)) != codecs.BOM_UTF8:
            fin.seek(0)
        while True:
            chunk = fin.read(CHUNK)
            data = rest + chunk
            if not data:
                break
            if chunk:  # hold back the unfinished last line for the next chunk
                cut = data.rfind(b"\n") + 1
                if cut == 0 and len(data) <= 64 * CHUNK:
                    rest = data
                    continue
                cut = cut or len(data)
                data, rest = data[:cut], data[cut:]
            else:
                rest = b""
            try:
                data.decode("utf-8")
                out.utf8_non_ascii = out.utf8_non_ascii or not data.isascii()
                fout.write(data)
                line_no += data.count(b"\n")
            except UnicodeDecodeError:
                pieces = data.split(b"\n")
                for i, line in enumerate(pieces):
                    if i == len(pieces) - 1 and not line:
                        break  # data ended with LF
                    line_no += 1
                    end = b"\n" if i < len(pieces) - 1 else b""
                    try:
                        line.decode("utf-8")
                        out.utf8_non_ascii = out.utf8_non_ascii or not line.isascii()
                        fout.write(line + end)
                        continue
                    except UnicodeDecodeError:
                        pass
                    try:
                        fout.write(line.decode("cp1252").encode("utf-8") + end)
                    except UnicodeDecodeError as e:
                        raise ReadError(
                            f"Filen kan ikke læses: linje {line_no} er hverken gyldig UTF-8 eller Windows-1252 "
                            f"(ukendt byte {line[e.start : e.start + 1].hex()}). Gem den som CSV UTF-8."
                        ) from e
                    out.cp1252_count += 1
                    if len(out.cp1252_lines) < 10:
                        out.cp1252_lines.append(line_no)
            if not chunk:
                break
    return out


def read_csv_by_records(con, path: Path, encoding: str, delimiter: str) -> ReadResult:
    """Python's csv module, for the rare file with empty lines: an empty line is a row in a spreadsheet, so
    the rows after it keep the numbers the contributor sees. Streamed into DuckDB in batches (bounded memory;
    per-row Python, so such files are read more slowly)."""
    import pyarrow as pa

    from pipeline.readers.other import new_table

    lim = limits()
    csv.field_size_limit(lim.field_chars * 4)
    table = new_table()
    with open(path, encoding=encoding, newline="") as f:
        records = csv.reader(f, delimiter=delimiter)
        headers = [c.strip().lstrip("\ufeff") for c in next(records)]
        if len(headers) > lim.columns:
            raise ReadError(_too_many_columns(len(headers), lim.columns))
        names = [f"c{i}" for i in range(len(headers))]
        cols = ", ".join(f"{n} VARCHAR" for n in names)
        con.execute(f"CREATE TEMP TABLE {table} (_row BIGINT{', ' if cols else ''}{cols})")
        batch: list[tuple[int, list[str]]] = []

        def flush():
            arrays = {"_row": pa.array([r for r, _ in batch], pa.int64())}
            for i, n in enumerate(names):
                arrays[n] = pa.array([(v[i] or None) if i < len(v) else None for _, v in batch], pa.string())
            arrow = pa.table(arrays)  # noqa: F841 - DuckDB reads the local variable by name
            con.execute(f"INSERT INTO {table} SELECT * FROM arrow")
            batch.clear()

        for i, r in enumerate(records, start=2):
            if any(c.strip() for c in r):
                batch.append((i, r))
            if len(batch) >= BATCH_ROWS:
                flush()
        if batch:
            flush()
    return ReadResult(table=table, headers=headers, encoding=encoding, delimiter=delimiter)


def _too_many_columns(n: int, limit: int) -> str:
    return f"Filen har {n:,} kolonner i overskriften; højst {limit:,} er tilladt.".replace(",", ".")


def read_csv(con, path: Path, tmp_dir: Path) -> ReadResult:
    """Load `path` into a new temporary DuckDB table of text columns. Raises ReadError (Danish)."""
    lim = limits()
    if path.stat().st_size == 0:
        raise ReadError("Filen er tom.")
    found = scan(path)
    source, notes, warnings = path, [], []
    try:
        if found.encoding in UTF16_BOMS.values() or found.encoding == "cp1252":
            tmp_dir.mkdir(parents=True, exist_ok=True)
            source = tmp_dir / f"{uuid.uuid4().hex}.csv"
        if found.encoding in UTF16_BOMS.values():
            try:
                transcode_to_utf8(path, source, found.encoding)
            except UnicodeDecodeError as e:
                raise ReadError(
                    "Filen ligner UTF-16, men kan ikke læses som det (en ugyldig byte ved position "
                    f"{e.start}). Gem filen som CSV UTF-8."
                ) from e
            notes.append("Filen er læst som UTF-16.")
            found = scan(source)
        elif found.encoding == "cp1252":
            mixed = transcode_lines(path, source)
            if mixed.utf8_non_ascii:
                shown = ", ".join(str(n) for n in mixed.cp1252_lines)
                more = " …" if mixed.cp1252_count > len(mixed.cp1252_lines) else ""
                warnings.append(
                    f"Filen blander UTF-8 og Windows-1252: {mixed.cp1252_count} linje(r) ({shown}{more}) er læst som "
                    "Windows-1252, resten som UTF-8. Kontrollér æ, ø og å i de linjer, og gem filen som CSV UTF-8."
                )
            else:
                notes.append("Filen er læst som Windows-1252 (dansk Excel).")
        encoding = "utf-8-sig" if found.encoding == "utf-8-sig" else "utf-8"  # transcoded files are UTF-8
        res = _read_utf8(con, source, encoding, found.empty_lines, lim)
    finally:
        if source != path:
            source.unlink(missing_ok=True)
    res.encoding = "cp1252" if found.encoding == "cp1252" else res.encoding
    res.notes, res.warnings = notes, warnings
    return res


def _read_utf8(con, source: Path, encoding: str, empty_lines: bool, lim) -> ReadResult:
    header_line = first_line(source, encoding, lim.header_bytes)
    if not header_line.strip():
        raise ReadError("Filen har ingen overskriftsrække i række 1.")
    delimiter = sniff_delimiter(header_line)
    headers = parse_header(header_line, delimiter)
    if len(headers) > lim.columns:
        raise ReadError(_too_many_columns(len(headers), lim.columns))
    if empty_lines:
        try:
            res = read_csv_by_records(con, source, encoding, delimiter)
        except csv.Error as e:
            raise ReadError(f"Filen kan ikke læses som CSV: {str(e)[:200]}.") from e
        except UnicodeDecodeError as e:  # scan() found the file UTF-8; a defect if this ever happens
            raise ReadError(
                f"Filen kan ikke læses som {encoding} (ugyldig byte ved position {e.start})."
            ) from e
        res.danish_text_numbers = delimiter == ";"
        return res
    # A trailing separator gives an empty last header: keep it as a column nobody maps to.
    table = f"src_{uuid.uuid4().hex[:12]}"
    names = [f"c{i}" for i in range(len(headers))]
    columns = ", ".join(f"'{n}': 'VARCHAR'" for n in names)
    sql = f"""
        CREATE TEMP TABLE {table}_load AS
        SELECT * FROM read_csv(?, header = true, all_varchar = true, delim = ?, quote = '"',
                               escape = '"', null_padding = true, strict_mode = false,
                               auto_detect = false, parallel = {{parallel}}, max_line_size = {lim.line_bytes},
                               columns = {{{{{columns}}}}})
    """
    try:
        try:
            con.execute(sql.format(parallel="true"), [str(source), delimiter])
        except Exception:
            # DuckDB's parallel scanner refuses quoted newlines with null padding: read serially.
            con.execute(f"DROP TABLE IF EXISTS {table}_load")
            con.execute(sql.format(parallel="false"), [str(source), delimiter])
    except Exception as e:  # DuckDB's message, translated to a file-level finding
        con.execute(f"DROP TABLE IF EXISTS {table}_load")
        raise ReadError(duckdb_csv_error(str(e), lim)) from e
    # Blank lines are not rows. A row keeps its rowid when others are deleted, and rowid follows insertion
    # order, which follows the file: the header is row 1. The table is a view (no copy of the rows).
    cond = " AND ".join(f"(c{i} IS NULL OR trim(c{i}) = '')" for i in range(len(names)))
    con.execute(f"DELETE FROM {table}_load WHERE {cond}")
    con.execute(f"CREATE TEMP VIEW {table} AS SELECT rowid + 2 AS _row, * FROM {table}_load")
    return ReadResult(
        table=table,
        headers=headers,
        encoding=encoding,
        delimiter=delimiter,
        danish_text_numbers=delimiter == ";",
        loaded=f"{table}_load",
    )


def duckdb_csv_error(message: str, lim) -> str:
    """DuckDB's CSV error as a Danish file-level finding: the line it names and the cause, never the line's
    content (which can be megabytes) nor server paths."""
    line = re.search(r"CSV Error on Line: (\d+)", message)
    where = f" (linje {line.group(1)})" if line else ""
    if "Maximum line size" in message:
        return (
            f"En linje i filen{where} er længere end {lim.line_bytes // 1024:,} KB; det er ikke en almindelig "
            "CSV-række (mangler der linjeskift eller et afsluttende anførselstegn?).".replace(",", ".")
        )
    first = message.splitlines()[0] if message else ""
    first = re.sub(r"^[A-Za-z ]+Error: ", "", first)
    return f"Filen kan ikke læses som CSV{where}: {first[:200]}"
