"""The rules' thresholds. They live once, in the parameter seed `seeds/parametre.csv` (one row per parameter,
KEY_FIGURES.md "Parameters — one home"); SQL reads it with ref('parametre'), Python through `parameter()`."""

from __future__ import annotations

from functools import cache

from pipeline.contract.codes import seed_rows
from pipeline.text import da_number_short

PARAMETER_SEED = "parametre.csv"

# The parameter codes Python refers to.
SUPPRESSION_MIN_KOMMUNER = "undertrykkelse_min_kommuner"  # participants' group statistics and percentiles
PUBLIC_MIN_KOMMUNER = "offentlig_min_kommuner"  # offentlig/benchmark.parquet
EFTERSYN_FRAKTIL_MIN_KOMMUNER = "eftersyn_fraktil_min_kommuner"  # naermere_eftersyn's national fraktil
DAEKNING_MIN_PCT = "daekning_min_pct"  # a building's consumption figures need this coverage
BENCHMARK_MIN_DAEKNING_PCT = "benchmark_min_daekning_pct"  # a municipality value enters the benchmark
COMPARABLE_MAX_COVERAGE_DIFFERENCE = "sammenlignelig_max_daekningsforskel_pct"  # a change is comparable
EFTERSYN_UDGIFT_FRAKTIL = "eftersyn_udgift_fraktil"  # naermere_eftersyn: cost above this fraktil (0-1)
EFTERSYN_TILSTAND_MIN = "eftersyn_tilstand_min"  # ... and condition this grade or worse
EFTERSYN_ANVENDELSESGRAD_UNDER = "eftersyn_anvendelsesgrad_under_pct"  # ... or use below this
EFTERSYN_UDNYTTELSESGRAD_UNDER = "eftersyn_udnyttelsesgrad_under_pct"  # ... or utilisation below this


@cache
def parameters() -> dict[str, float]:
    """Every parameter of the seed: code -> value."""
    out: dict[str, float] = {}
    for row in seed_rows(PARAMETER_SEED):
        if row["parameter"] in out:
            raise ValueError(f"parameter {row['parameter']!r} appears twice in seeds/{PARAMETER_SEED}")
        out[row["parameter"]] = float(row["vaerdi"])
    return out


def parameter(name: str) -> float:
    try:
        return parameters()[name]
    except KeyError:
        raise KeyError(f"parameter {name!r} is missing from seeds/{PARAMETER_SEED}") from None


def min_kommuner(name: str) -> int:
    """A threshold counted in municipalities (a whole number)."""
    value = parameter(name)
    if value != int(value):
        raise ValueError(f"parameter {name!r} = {value} is not a whole number of municipalities")
    return int(value)


def parameter_text(name: str, scale: float = 1) -> str:
    """A parameter in Danish number format for a text, with only the decimals it has: 3.5 -> '3,5';
    `scale=100` writes a fraction as a percentage (0.75 -> '75')."""
    return da_number_short(parameter(name) * scale)
