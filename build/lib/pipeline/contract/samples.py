"""A small valid sample per dataset, generated from the contract's examples (one definition)."""

from __future__ import annotations

import csv
import io

from pipeline.contract.datasets import DATASETS
from pipeline.contract.model import Dataset

SAMPLE_YEAR = 2024


def sample_row(dataset: Dataset) -> dict[str, str]:
    """One valid row: every column that has an example."""
    return {c.name: c.example for c in dataset.columns if c.example is not None}


def sample_csv(dataset: Dataset) -> str:
    row = sample_row(dataset)
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\n")
    w.writerow(list(row))
    w.writerow(list(row.values()))
    return buf.getvalue()


def sample_submission() -> dict[str, str]:
    """File name -> CSV text: one valid row of every dataset, consistent across files."""
    return {f"{name}.csv": sample_csv(ds) for name, ds in DATASETS.items()}
