"""Text normalisation shared by header matching and code matching."""

from __future__ import annotations

import re
import unicodedata

_DANISH = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "ae", "Ø": "oe", "Å": "aa"})


def fold(value: str) -> str:
    """Case-, accent- and whitespace-insensitive form: lower case, æøå spelt ae/oe/aa, accents dropped,
    spaces trimmed. `Ældre` -> `aeldre`, `KWH` -> `kwh`."""
    v = value.strip().translate(_DANISH).lower()
    v = unicodedata.normalize("NFKD", v)
    return "".join(ch for ch in v if not unicodedata.combining(ch))


def header_key(name: str) -> str:
    """Key for matching a column header: folded, only letters and digits.
    `Bruttodriftsareal (m²)` and `bruttodriftsareal_m2` both give `bruttodriftsarealm2`."""
    return re.sub(r"[^a-z0-9]", "", fold(name))


def da_number(x: float, decimals: int = 0) -> str:
    """Danish number format with a fixed number of decimals: 1234.5 -> '1.234,5'."""
    return f"{x:,.{decimals}f}".replace(",", "§").replace(".", ",").replace("§", ".")


def da_number_short(x: float, max_decimals: int = 3) -> str:
    """Danish number format with only the decimals the number has (up to `max_decimals`), as the dbt macro
    da_num_kort: 75.0 -> '75', 3.5 -> '3,5', 1234.25 -> '1.234,25'."""
    if max_decimals < 1:
        raise ValueError("max_decimals must be at least 1")
    return re.sub(r",?0+$", "", da_number(x, max_decimals))


# 3-4 ASCII digits (Python's `\d` would also take other scripts' digits: `٠١٠١`); the API's OpenAPI document
# declares the same pattern for its path parameter
KOMMUNEKODE_PATTERN = "[0-9]{3,4}"


def canonical_kommunekode(value: str) -> str | None:
    """`101` and `0101` -> `0101`; anything that is not 3-4 ASCII digits -> None."""
    v = value.strip()
    if re.fullmatch(KOMMUNEKODE_PATTERN, v):
        return v.zfill(4)
    return None


# Characters no writer of kkm2 passes on from user data: C0 controls but tab, newline and carriage return,
# DEL, lone surrogates (from JSON escapes such as "\ud800") and the two non-characters U+FFFE/U+FFFF. XLSX
# (XML 1.0) cannot hold them, HTML shows them as garbage, and some break UTF-8 encoding outright.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
REPLACEMENT = "\ufffd"


def clean_text(value: str) -> str:
    """User text made safe to write anywhere (XLSX, HTML, CSV, Parquet metadata): each character that no
    such format can hold becomes U+FFFD, so what was there stays visible and nothing is silently dropped."""
    return CONTROL_CHARACTERS.sub(REPLACEMENT, value)


# OWASP's CSV-injection rule: a spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?\d+([.,]\d+)*([eE][+-]?\d+)?")


def safe_cell(value):
    """A value for a CSV or XLSX cell that people open in a spreadsheet: text made safe (`clean_text`), and
    text that a spreadsheet would run as a formula (`=1+1`, `+1+1`, `@SUM(1)`, `-1+1`) starts with an
    apostrophe. Numbers, and text that is just a number (`-12,5`), stay as they are."""
    if not isinstance(value, str):
        return value
    value = clean_text(value)
    if value.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value
