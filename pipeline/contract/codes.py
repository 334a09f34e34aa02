"""Code lists. They live once, in the shipped seeds (`seeds/*.csv`); the contract reads them from there."""

from __future__ import annotations

import csv
from functools import cache

from pipeline.settings import SEEDS_DIR
from pipeline.text import fold

# code list name -> (seed file, code column). Small lists without attributes live together in
# kodelister.csv (column `liste` names the list).
CODE_LISTS: dict[str, tuple[str, str]] = {
    "kommunekode": ("kommuner.csv", "kommunekode"),
    "anvendelseskode": ("bbr_anvendelseskoder.csv", "anvendelseskode"),
    "sektor": ("sektorer.csv", "kode"),
    "forsyningsart": ("forsyningsarter.csv", "kode"),
    "enhed": ("enhedsomregning.csv", "enhed"),
    "kontogruppe": ("kontogrupper.csv", "kode"),
    "bygningsdel": ("bygningsdele.csv", "kode"),
}
KODELISTER = "kodelister.csv"
# the seed column with a code's Danish label, where it is not `label`
LABEL_COLUMNS = {"kommunekode": "kommunenavn", "anvendelseskode": "tekst"}


@cache
def seed_rows(filename: str) -> tuple[dict[str, str], ...]:
    with open(SEEDS_DIR / filename, encoding="utf-8", newline="") as f:
        return tuple(csv.DictReader(f))


@cache
def codes(name: str) -> tuple[str, ...]:
    """The canonical codes of a code list, in seed order, without duplicates."""
    if name in CODE_LISTS:
        filename, column = CODE_LISTS[name]
        rows = [r[column] for r in seed_rows(filename)]
    else:
        rows = [r["kode"] for r in seed_rows(KODELISTER) if r["liste"] == name]
        if not rows:
            raise KeyError(f"no code list {name!r} in the seeds")
    return tuple(dict.fromkeys(rows))


@cache
def labels(name: str) -> dict[str, str]:
    """Code -> its Danish label from the seed (`aeldre` -> `Ældre`, `selvejende` -> `Selvejende institution`),
    in seed order. A unit has no label of its own: it says which supply types it fits (`MWh` -> `Til el og
    fjernvarme`)."""
    if name == "enhed":
        supply = labels("forsyningsart")
        fits: dict[str, list[str]] = {}
        for art, units in units_by_supply().items():
            for unit in units:
                fits.setdefault(unit, []).append(supply.get(art, art).lower())
        out = {}
        for c in codes(name):
            arts = fits.get(c, [])
            out[c] = "Til " + (", ".join(arts[:-1]) + " og " + arts[-1] if len(arts) > 1 else "".join(arts))
        return out
    if name in CODE_LISTS:
        filename, column = CODE_LISTS[name]
        rows = seed_rows(filename)
    else:
        filename, column = KODELISTER, "kode"
        rows = tuple(r for r in seed_rows(KODELISTER) if r["liste"] == name)
    label = LABEL_COLUMNS.get(name, "label")
    out: dict[str, str] = {}
    for r in rows:
        out.setdefault(r[column], r[label])
    return out


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
