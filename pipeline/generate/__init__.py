"""`kkm2 generate`: the files derived from the contract (pipeline/contract/) or the key-figure catalogue
(seeds/dim_noegletal.csv), and only those — everything else in the dbt project is written by hand.

- dbt_sources: dbt's sources, the staging models and their YAML, the `contract_datasets()` macro
- dbt_marts: the published tables' YAML (grain, column docs, enforced contracts, tests)
- gx_suites: gate 1's Great Expectations suites
- published: the information model for vendors (JSON Schema, docs/informationsmodel.md, sample files)
- api: the submission service's OpenAPI document (docs/api/openapi.json), from the app (pipeline/service/)

Each is committed; tests/test_generated_files.py fails when one is stale."""

from __future__ import annotations

from pathlib import Path


def generated_files() -> dict[Path, str]:
    """Every generated file: path -> text."""
    from pipeline.generate import api, dbt_marts, dbt_sources, gx_suites, published

    return {
        **dbt_sources.generated_files(),
        dbt_marts.MARTS_YML: dbt_marts.render_marts_yml(),
        **gx_suites.generated_files(),
        **published.generated_files(),
        **api.generated_files(),
    }


def write_generated_files() -> list[Path]:
    written = []
    for path, text in generated_files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
