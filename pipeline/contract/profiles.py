"""Built-in import profiles: known system exports that are accepted as they come.

Steward-defined profiles (`reference/profiler/`) are added by later work in the same shape."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.text import header_key


@dataclass(frozen=True)
class Profile:
    name: str
    dataset: str
    signature: frozenset[str]  # header keys that identify the export
    skip_column: str | None = None  # header key of a column that marks rows to skip
    skip_values: frozenset[str] = frozenset()  # header_key()-folded values that are skipped
    skip_reason: str = ""
    ignore_columns: frozenset[str] = frozenset()  # known columns that carry nothing for kkm2


ELOVERBLIK = Profile(
    name="eloverblik",
    dataset="forbrug",
    signature=frozenset(
        header_key(h) for h in ("Målepunkt id", "Fra dato", "Til dato", "Mængde", "Måleenhed", "Type")
    ),
    skip_column=header_key("Type"),
    skip_values=frozenset({header_key("Måling")}),
    skip_reason=(
        "Eloverblik-række af typen 'Måling' er en periodesum fra separate aflæsninger; "
        "den springes over, timeværdierne (Tidsserier) tælles"
    ),
    ignore_columns=frozenset({header_key("Kvalitet")}),
)

PROFILES: tuple[Profile, ...] = (ELOVERBLIK,)


def detect_profile(dataset: str, headers: list[str]) -> Profile | None:
    keys = {header_key(h) for h in headers}
    for p in PROFILES:
        if p.dataset == dataset and p.signature <= keys:
            return p
    return None
