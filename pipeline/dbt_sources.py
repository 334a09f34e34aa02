"""Generates dbt's source YAML for the raw and audit tables from the contract (one definition)."""

from __future__ import annotations

from pipeline.contract.datasets import DATASETS
from pipeline.settings import REPO_ROOT
from pipeline.warehouse import LINEAGE_COLUMNS

SOURCES_FILE = REPO_ROOT / "models" / "staging" / "_raw__sources.yml"

LINEAGE_DOCS = {
    "kommunekode": "Kommunekode, 4 tegn (fx 0101).",
    "aar": "Indberetningsåret.",
    "version": "Indberetningens version; staging læser kun den aktive.",
    "kilde_fil": "Filen rækken kom fra (relativt til kommunens årsmappe).",
    "raekke": "Rækkenummeret i filen, som bidragyderen ser det (overskriften er række 1).",
    "loaded_at": "Hvornår versionen blev indlæst.",
}


def _esc(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_sources() -> str:
    lines = [
        "# GENERATED from pipeline/contract by `kkm2 generate` -- do not edit; a test fails when stale.",
        "version: 2",
        "",
        "sources:",
        "  - name: raw",
        "    schema: raw",
        "    description: Accepterede rækker fra indberetningerne (gate 1), alle versioner, med sporbarhed.",
        "    tables:",
    ]
    for ds in DATASETS.values():
        lines += [
            f"      - name: {ds.name}",
            f"        description: {_esc(ds.label + '. ' + ds.grain)}",
            "        columns:",
        ]
        for name, _ in LINEAGE_COLUMNS:
            lines += [
                f"          - name: {name}",
                f"            description: {_esc(LINEAGE_DOCS[name])}",
                "            data_tests: [not_null]",
            ]
        for c in ds.columns:
            lines += [f"          - name: {c.name}", f"            description: {_esc(c.help)}"]
            if c.required or c.filled:
                lines.append("            data_tests: [not_null]")
    lines += [
        "  - name: audit",
        "    schema: audit",
        "    description: Indberetningernes versioner, fund og optællinger.",
        "    tables:",
        "      - name: submissions",
        "        description: Én række pr. version af en indberetning (kommune × år).",
        "      - name: active_submissions",
        "        description: Den aktive version pr. indberetning (den nyeste, der bestod sine gates).",
        "      - name: submission_datasets",
        "        description: Optællinger pr. version og datasæt (modtaget = accepteret + afvist + sprunget over).",
    ]
    return "\n".join(lines) + "\n"


def write_sources() -> None:
    SOURCES_FILE.write_text(render_sources(), encoding="utf-8")
