"""Files generated from the contract or the key-figure catalogue are committed; these tests fail when one is
stale (fix with `make generate`). Everything else in the dbt project is written by hand."""

from __future__ import annotations

import json
import re

import yaml

from pipeline.contract.datasets import DATASETS
from pipeline.generate import generated_files
from pipeline.generate.dbt_sources import SOURCES_FILE, render_sources
from pipeline.generate.dbt_yaml import column_doc_blocks
from pipeline.generate.gx_suites import render_suite
from pipeline.quality.gx_gate import SUITES_DIR
from pipeline.settings import REPO_ROOT


def test_gx_suites_are_generated_from_the_contract():
    for ds in DATASETS.values():
        path = SUITES_DIR / f"{ds.name}.json"
        assert path.read_text(encoding="utf-8") == render_suite(ds), f"{path} is stale: run `make generate`"
        suite = json.loads(path.read_text())
        assert any(e["type"] == "expect_column_values_to_not_be_null" for e in suite["expectations"])


def test_dbt_sources_are_generated_from_the_contract():
    assert SOURCES_FILE.read_text(encoding="utf-8") == render_sources(), "run `make generate`"
    raw = next(s for s in yaml.safe_load(SOURCES_FILE.read_text())["sources"] if s["name"] == "raw")
    for ds in DATASETS.values():
        table = next(t for t in raw["tables"] if t["name"] == ds.name)
        assert {c.name for c in ds.columns} <= {c["name"] for c in table["columns"]}


def test_every_generated_file_is_as_its_generator_makes_it():
    """dbt sources, staging models and YAML, the marts' YAML, GX suites and the published information model."""
    files = generated_files()
    assert {SOURCES_FILE, REPO_ROOT / "models" / "marts" / "_marts.yml"} <= set(files)
    for path, text in files.items():
        assert path.read_text(encoding="utf-8") == text, f"{path} is stale: run `make generate`"


def test_the_hand_written_models_are_not_generated():
    generated = set(generated_files())
    for path in (REPO_ROOT / "models").rglob("*"):
        if path.suffix in (".sql", ".yml") and path not in generated:
            assert "GENERATED" not in path.read_text(encoding="utf-8").splitlines()[0], path


def test_every_doc_reference_has_its_docs_block():
    """A `doc("...")` in any model YAML names a block of models/_column_docs.md (dbt parse fails otherwise)."""
    blocks = column_doc_blocks()
    assert {"kommunekode", "aar", "version", "bygning_id"} <= set(blocks)
    used = set()
    for path in (REPO_ROOT / "models").rglob("*.yml"):
        used |= set(re.findall(r"""doc\(["'](\w+)["']\)""", path.read_text(encoding="utf-8")))
    assert used and used <= set(blocks), used - set(blocks)
    assert set(blocks) <= used, f"unused docs blocks: {set(blocks) - used}"


def test_the_published_samples_validate_without_findings(mem, tmp_path):
    from pipeline.generate.published import DOCS_DIR
    from pipeline.validation import SubmissionFile, validate_files

    files = [SubmissionFile(p, p.name) for p in sorted((DOCS_DIR / "eksempler").glob("*.csv"))]
    result = validate_files(mem, files, "0101", 2024, tmp_path)
    assert [f for f in result.findings(mem) if f["alvorlighed"] == "fejl"] == []
    assert all(c.accepted == 1 for c in result.counts.values())
