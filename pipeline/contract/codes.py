"""Code lists. They live once, in the shipped seeds (`seeds/*.csv`); the contract reads them from there."""

from __future__ import annotations

import csv
from functools import cache

from pipeline.settings import SEEDS_DIR
from pipeline.text import fold

# code list name -> (seed file, code column)
CODE_LISTS: dict[str, tuple[str, str]] = {
    "kommunekode": ("kommuner.csv", "kommunekode"),
    "anvendelseskode": ("bbr_anvendelseskoder.csv", "anvendelseskode"),
    "sektor": ("sektorer.csv", "kode"),
    "ejerforhold": ("ejerforhold.csv", "kode"),
    "forsyningsart": ("forsyningsarter.csv", "kode"),
    "maaletype": ("maaletyper.csv", "kode"),
    "enhed": ("enhedsomregning.csv", "enhed"),
}


@cache
def seed_rows(filename: str) -> tuple[dict[str, str], ...]:
    with open(SEEDS_DIR / filename, encoding="utf-8", newline="") as f:
        return tuple(csv.DictReader(f))


@cache
def codes(name: str) -> tuple[str, ...]:
    """The canonical codes of a code list, in seed order, without duplicates."""
    filename, column = CODE_LISTS[name]
    seen: dict[str, None] = {}
    for row in seed_rows(filename):
        seen.setdefault(row[column], None)
    return tuple(seen)


def code_lookup(name: str) -> dict[str, str]:
    """Folded spelling -> canonical code (`KWH` -> `kWh`, `Ældre` -> `aeldre`)."""
    return {fold(c): c for c in codes(name)}


@cache
def units_by_supply() -> dict[str, tuple[str, ...]]:
    """Which units fit which forsyningsart (from the unit-conversion seed)."""
    out: dict[str, list[str]] = {}
    for row in seed_rows("enhedsomregning.csv"):
        out.setdefault(row["forsyningsart"], []).append(row["enhed"])
    return {k: tuple(v) for k, v in out.items()}
