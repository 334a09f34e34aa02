"""Files generated from the contract are committed; these tests fail when one is stale
(fix with `make generate`)."""

from __future__ import annotations

import json

from pipeline.contract.datasets import DATASETS
from pipeline.dbt_sources import SOURCES_FILE, generated_files, render_sources
from pipeline.quality.gx_gate import SUITES_DIR, render_suite


def test_gx_suites_are_generated_from_the_contract():
    for ds in DATASETS.values():
        path = SUITES_DIR / f"{ds.name}.json"
        assert path.read_text(encoding="utf-8") == render_suite(ds), f"{path} is stale: run `make generate`"
        suite = json.loads(path.read_text())
        assert any(e["type"] == "expect_column_values_to_not_be_null" for e in suite["expectations"])


def test_dbt_sources_are_generated_from_the_contract():
    assert SOURCES_FILE.read_text(encoding="utf-8") == render_sources(), "run `make generate`"
    for ds in DATASETS.values():
        for c in ds.columns:
            assert f"- name: {c.name}" in SOURCES_FILE.read_text()


def test_staging_models_are_generated_from_the_contract():
    for path, text in generated_files().items():
        assert path.read_text(encoding="utf-8") == text, f"{path} is stale: run `make generate`"


def test_the_published_model_is_generated_from_the_contract():
    from pipeline.contract.published import generated_files as published

    for path, text in published().items():
        assert path.read_text(encoding="utf-8") == text, f"{path} is stale: run `make generate`"


def test_the_published_samples_validate_without_findings(mem, tmp_path):
    from pipeline.contract.published import DOCS_DIR
    from pipeline.validation import SubmissionFile, validate_files

    files = [SubmissionFile(p, p.name) for p in sorted((DOCS_DIR / "eksempler").glob("*.csv"))]
    result = validate_files(mem, files, "0101", 2024, tmp_path)
    assert [f for f in result.findings(mem) if f["alvorlighed"] == "fejl"] == []
    assert all(c.accepted == 1 for c in result.counts.values())
