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


def canonical_kommunekode(value: str) -> str | None:
    """`101` and `0101` -> `0101`; anything that is not 3-4 digits -> None."""
    v = value.strip()
    if re.fullmatch(r"\d{3,4}", v):
        return v.zfill(4)
    return None
