"""Typing: the SQL that turns a value as received (text) into the contract's type, and the instant of a local
time. Python only writes the SQL; DuckDB types every value of a dataset in one pass."""

from __future__ import annotations

from pipeline.contract import codes as code_lists
from pipeline.contract.model import Column, Dataset
from pipeline.readers.child import TYPED_NUMBER
from pipeline.readers.csv import ReadResult
from pipeline.settings import TIME_ZONE
from pipeline.validation.core import fold_sql, q, str_list

TS_FORMATS = [
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H.%M",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y %H.%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H.%M",
]
DATE_FORMATS = ["%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y"]
OFFSET_RE = r"\d[:.]\d\d(:\d\d(\.\d+)?)?\s*(Z|[+-]\d\d(:?\d\d)?)$"
TYPED = f"chr({ord(TYPED_NUMBER)})"  # the mark of a typed number (pipeline.readers.child), in SQL
TRUE_WORDS = ("1", "true", "ja", "j", "sand", "yes", "y")
FALSE_WORDS = ("0", "false", "nej", "n", "falsk", "no")
GROUPED = r"[+-]?\d{1,3}(\.\d{3})+"  # thousands grouped by dots: 1.040, 12.500.000
LINEAGE = ["_fil", "_ark", "_row", "_skip", "_tz"]


def typed_select(dataset: Dataset, stage: str) -> str:
    """A SELECT over the stage rows (`<column>__raw` texts) that types every column. Inner query: each value
    without its decimal-comma mark, and whether a time has a UTC offset (one regular expression per value);
    the outer query types them."""
    inner = list(LINEAGE)
    exprs = list(LINEAGE)
    for c in dataset.columns:
        raw = f"{c.name}__raw"
        marked = f"{c.name}__comma"
        if c.type in ("dec", "int"):  # only numeric columns carry the mark: text may start with '§'
            inner.append(f"starts_with({raw}, '§') AS {marked}")
            inner.append(f"CASE WHEN starts_with({raw}, '§') THEN substr({raw}, 2) ELSE {raw} END AS {raw}")
            inner.append(f"{c.name}__tvetydig")
            exprs.append(f"{c.name}__tvetydig")
        else:
            inner.append(raw)
        exprs.append(raw)
        if c.type in ("ts", "tsdate"):
            has_off = f"{c.name}__has_off"
            inner.append(f"regexp_matches({raw}, '{OFFSET_RE}') AS {has_off}")
            exprs += [
                f"CASE WHEN NOT {has_off} THEN {parse_expr(c, raw, marked)} END AS {c.name}",
                has_off,
                # DuckDB's own cast first; `12.00+01` (a dot between hours and minutes) takes the rewrite
                f"CASE WHEN {has_off} THEN coalesce(try_cast({raw} AS TIMESTAMPTZ), "
                f"try_cast(regexp_replace({raw}, '(\\d)\\.(\\d\\d)', '\\1:\\2') AS TIMESTAMPTZ)) END"
                f" AS {c.name}__inst_off",
                # CASE, not AND: DuckDB evaluates both sides of an AND in a projection, and trying four
                # date formats on every 25-character timestamp cost 0,7 s per 880 000 rows.
                f"CASE WHEN length({raw}) <= 10 THEN try_strptime({raw}, {str_list(DATE_FORMATS)}) "
                f"IS NOT NULL ELSE false END AS {c.name}__date_only",
            ]
        else:
            exprs.append(f"{parse_expr(c, raw, marked)} AS {c.name}")
    return f"SELECT {', '.join(exprs)} FROM (SELECT {', '.join(inner)} FROM {stage})"


def parse_expr(c: Column, v: str, comma_marked: str) -> str:
    # finite numbers only: DuckDB reads 'nan', 'inf' and '1e309' as doubles
    num = (
        f"(CASE WHEN {comma_marked} THEN try_cast(replace(replace(replace({v}, ' ', ''), '.', ''), "
        f"',', '.') AS DOUBLE) ELSE try_cast(replace({v}, ' ', '') AS DOUBLE) END)"
    )
    num = f"(CASE WHEN isfinite({num}) THEN {num} END)"
    if c.type == "text":
        return v
    if c.type == "dec":
        return num
    if c.type == "int":
        return f"CASE WHEN {num} = floor({num}) THEN try_cast({num} AS BIGINT) END"
    if c.type == "bool":
        return (
            f"CASE WHEN lower({v}) IN (SELECT unnest({str_list(TRUE_WORDS)})) THEN true "
            f"WHEN lower({v}) IN (SELECT unnest({str_list(FALSE_WORDS)})) THEN false END"
        )
    if c.type == "date":
        return (
            f"CAST(coalesce(try_strptime({v}, {str_list(DATE_FORMATS)}), "
            f"try_strptime({v}, '%Y-%m-%d %H:%M:%S')) AS DATE)"
        )
    if c.type in ("ts", "tsdate"):
        # the local wall-clock time; the instant is resolved by the dataset's time rules. A value with an
        # offset has no wall-clock reading here (its instant is {c}__inst_off). ISO values take DuckDB's
        # own cast first: trying 17 formats on every row cost 2,5 s per 500 000 readings.
        return (
            f"coalesce(try_cast({v} AS TIMESTAMP), try_strptime({v}, {str_list(TS_FORMATS)}), "
            f"try_strptime({v}, {str_list(DATE_FORMATS)}))"
        )
    if c.type == "code":
        lookup = code_lists.code_lookup(c.codes)
        keys = ", ".join(f"{q(k)}: {q(val)}" for k, val in lookup.items())
        # the code as the code list spells it first: folding every value cost 70 ms per 880 000 rows
        exact = ", ".join(f"{q(val)}: {q(val)}" for val in lookup.values())
        return f"coalesce(MAP {{{exact}}}[{v}], MAP {{{keys}}}[{fold_sql(v)}])"
    raise ValueError(c.type)


# ---- time ---------------------------------------------------------------------------------------------
def instant(col: str, occ: str) -> str:
    """SQL for the instant of a parsed local time `col`: its own offset if it had one; else the file's time zone
    (an import profile's, or Europe/Copenhagen), the repeated autumn hour taken in file order (`occ`, the row's
    occurrence from `occurrences`: 1 = summer time)."""
    tz = f"coalesce(_tz, {q(TIME_ZONE)})"
    inst = f"timezone({tz}, {col})"
    ambiguous = f"timezone({tz}, {inst} - INTERVAL 1 HOUR) = {col}"
    return (
        f"CASE WHEN {col}__has_off THEN {col}__inst_off WHEN {col} IS NULL THEN NULL "
        f"WHEN {ambiguous} AND {occ} = 1 THEN {inst} - INTERVAL 1 HOUR ELSE {inst} END"
    )


def ambiguous(col: str) -> str:
    """A local wall-clock time without an offset that occurs twice (the repeated autumn hour)."""
    tz = f"coalesce(_tz, {q(TIME_ZONE)})"
    return (
        f"(NOT {col}__has_off AND {col} IS NOT NULL AND "
        f"timezone({tz}, timezone({tz}, {col}) - INTERVAL 1 HOUR) = {col})"
    )


def occurrences(t: str, col: str, series: str) -> str:
    """`_fil, _row, _occ` for the rows whose `col` is ambiguous: which of the equal readings of a series in a
    file each row is (file order). Only those rows are sorted; every other row's occurrence is 1."""
    return (
        f"SELECT _fil, _row, row_number() OVER (PARTITION BY _fil, {series}, {col} ORDER BY _row) AS _occ "
        f"FROM {t} WHERE {ambiguous(col)}"
    )


def add_instant(col: str, series: str, out: str) -> str:
    """A derive step (SQL over `$t`): `out`, the instant of `col`, for a series identified by `series`."""
    return f"""
        WITH amb AS ({occurrences("$t", col, series)})
        SELECT t.*, {instant(col, "coalesce(amb._occ, 1)")} AS {out}
        FROM $t t LEFT JOIN amb USING (_fil, _row)
    """


# ---- values as received ---------------------------------------------------------------------------------
def trimmed(col: str) -> str:
    """A value without surrounding spaces (also non-breaking and other Unicode spaces); empty → NULL. DuckDB's
    trim is slow (28 ns a value), so it only runs on values that start or end with a space or a non-ASCII
    character, or contain a non-breaking space."""
    first, last = f"unicode({col})", f"unicode(right({col}, 1))"
    return (
        f"CASE WHEN {col} = '' OR {first} = 32 OR {first} > 127 OR {last} = 32 OR {last} > 127 "
        f"OR contains({col}, chr(160)) THEN nullif(trim(replace({col}, chr(160), ' ')), '') ELSE {col} END"
    )


def untyped(col: str, res: ReadResult) -> str:
    """SQL condition suffix: the value is not a typed number (only readers of typed cells mark them)."""
    return f" AND NOT starts_with({col}, {TYPED})" if res.typed_numbers else ""


def decimal_conventions(con, res: ReadResult, columns: dict[str, str]) -> dict[str, str]:
    """Per file and numeric column: `komma` (decimal comma, thousands dots), `punktum` (decimal point), or
    `blandet` when the column settles nothing: it has a decimal comma somewhere and also a dot that cannot be
    a thousands separator (`1,5` beside `1.5` or `1234.56`). Then every value with a comma or a dot is
    ambiguous and rejected with the reason; nothing is multiplied by 10ⁿ behind the contributor's back.
    A column with a comma is `komma`; in a `;`-separated file or a Danish spreadsheet's text cells, also one
    whose dotted values all look like thousands grouping (`1.040`)."""
    if not columns:
        return {}
    # First the cheap question (is there a comma at all); the regular expressions only run on the columns
    # whose answer depends on them: a column without a comma is `punktum` unless the file is Danish text.
    commas = con.execute(
        "SELECT "
        + ", ".join(
            f"coalesce(bool_or(contains({src}, ','){untyped(src, res)}), false)" for src in columns.values()
        )
        + f" FROM {res.table}"
    ).fetchall()[0]
    comma = dict(zip(columns, commas, strict=True))
    exprs, asked = [], []
    for name, src in columns.items():
        u = untyped(src, res)
        if comma[name]:
            asked.append((name, "loose_dot"))
            exprs.append(
                f"coalesce(bool_or(contains({src}, '.') AND NOT regexp_full_match(replace(trim({src}), ' ', ''), "
                f"'{GROUPED}(,\\d*)?'){u}), false)"
            )
        elif res.danish_text_numbers:
            asked.append((name, "all_grouped"))
            exprs.append(
                f"coalesce(bool_and(regexp_full_match(trim({src}), '{GROUPED}')) FILTER (WHERE contains({src}, '.')"
                f"{u}), false)"
            )
    answers = (
        dict(
            zip(asked, con.execute(f"SELECT {', '.join(exprs)} FROM {res.table}").fetchall()[0], strict=True)
        )
        if exprs
        else {}
    )
    out = {}
    for name in columns:
        if comma[name] and answers[(name, "loose_dot")]:
            out[name] = "blandet"
        elif comma[name] or answers.get((name, "all_grouped")):
            out[name] = "komma"
        else:
            out[name] = "punktum"
    return out
