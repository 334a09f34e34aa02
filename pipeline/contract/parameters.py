"""The rules' thresholds. They live once, in the parameter seed `seeds/parametre.csv` (one row per parameter,
KEY_FIGURES.md "Parameters — one home"); SQL reads it with ref('parametre'), Python through `parameter()`."""

from __future__ import annotations

from functools import cache

from pipeline.contract.codes import seed_rows

PARAMETER_SEED = "parametre.csv"

# The parameter codes Python refers to.
SUPPRESSION_MIN_KOMMUNER = "undertrykkelse_min_kommuner"  # participants' group statistics
PUBLIC_MIN_KOMMUNER = "offentlig_min_kommuner"  # offentlig/benchmark.parquet
EFTERSYN_FRAKTIL_MIN_KOMMUNER = "eftersyn_fraktil_min_kommuner"  # naermere_eftersyn's national p75


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
