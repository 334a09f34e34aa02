"""The Great Expectations suites for gate 1 (expectations/suites/<dataset>.json), from the contract: what GX
re-checks in the rows the validator accepted (pipeline/quality/gx_gate.py reads them)."""

from __future__ import annotations

import json

from pipeline.contract.datasets import DATASETS
from pipeline.contract.model import Dataset
from pipeline.quality.gx_gate import SUITES_DIR


def suite_for(dataset: Dataset) -> dict:
    """The GX suite for a dataset's accepted rows, generated from the contract."""
    exps: list[dict] = []
    for c in dataset.columns:
        if c.required or c.filled:
            exps.append({"type": "expect_column_values_to_not_be_null", "kwargs": {"column": c.name}})
        if c.codes:
            values = list(c.code_values())
            if c.type == "int":
                values = [int(v) for v in values]
            exps.append(
                {
                    "type": "expect_column_values_to_be_in_set",
                    "kwargs": {"column": c.name, "value_set": values},
                }
            )
        if c.min is not None or c.max is not None:
            kw = {"column": c.name, "min_value": c.min, "max_value": c.max}
            if c.min_exclusive:
                kw["strict_min"] = True
            exps.append({"type": "expect_column_values_to_be_between", "kwargs": kw})
        if c.max_len:
            exps.append(
                {
                    "type": "expect_column_value_lengths_to_be_between",
                    "kwargs": {"column": c.name, "min_value": 1, "max_value": c.max_len},
                }
            )
        if c.pattern:
            exps.append(
                {
                    "type": "expect_column_values_to_match_regex",
                    "kwargs": {"column": c.name, "regex": c.pattern},
                }
            )
        if c.unique:
            exps.append({"type": "expect_column_values_to_be_unique", "kwargs": {"column": c.name}})
    return {
        "name": f"kkm2_{dataset.name}",
        "meta": {"generated_from": "pipeline.contract"},
        "expectations": exps,
    }


def render_suite(dataset: Dataset) -> str:
    return json.dumps(suite_for(dataset), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def generated_files() -> dict:
    return {SUITES_DIR / f"{ds.name}.json": render_suite(ds) for ds in DATASETS.values()}
