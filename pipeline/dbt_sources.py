"""Generates dbt's source YAML for the raw and audit tables from the contract (one definition)."""

from __future__ import annotations

from pipeline.contract.datasets import DATASETS
from pipeline.dbt_intermediate import INTERMEDIATE_YML, render_intermediate_yml
from pipeline.dbt_marts import MARTS_YML, render_marts_yml
from pipeline.dbt_marts import yaml_str as _esc
from pipeline.reference import GRAINS
from pipeline.settings import REPO_ROOT
from pipeline.warehouse import LINEAGE_COLUMNS, LINEAGE_DOCS

SOURCES_FILE = REPO_ROOT / "models" / "staging" / "_raw__sources.yml"


REFERENCE_DOCS = {
    "befolkning": "Indbyggere pr. kommune og år (FOLK1A, 1. kvartal).",
    "graddage": "Graddage pr. måned.",
    "graddage_normalaar": "Stewardens normalår (tilsidesætter seed graddage_normalaar), hvis angivet.",
    "emissionsfaktorer": "g CO2e pr. kWh pr. forsyningsart og år.",
    "deltagere": "Kommuner, der forventes at indberette for et år.",
}


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
        "      - name: gate_results",
        "        description: Resultaterne af gate 2 (plausibilitet) og gate 3 (udgivelse) pr. kontrol, kommune og år.",
    ]
    lines += [
        "  - name: reference",
        "    schema: reference",
        "    description: Referencedata fra stewarden (reference/); tomme tabeller når filen mangler.",
        "    tables:",
    ]
    for table, doc in REFERENCE_DOCS.items():
        lines += [f"      - name: {table}", f"        description: {_esc(doc)}"]
        if table in GRAINS:  # the loader keeps one row per key; the build checks it
            cols = ", ".join(GRAINS[table].key)
            lines += ["        data_tests:", f"          - unique_key: {{arguments: {{columns: [{cols}]}}}}"]
    return "\n".join(lines) + "\n"


def write_sources() -> None:
    for path, text in generated_files().items():
        path.write_text(text, encoding="utf-8")


STAGING_DIR = REPO_ROOT / "models" / "staging"


def render_staging(name: str) -> str:
    """`stg_raw__<dataset>`: the active version's rows, columns in contract order."""
    cols = ",\n        ".join(DATASETS[name].column_names)
    return f"""-- GENERATED from pipeline/contract by `kkm2 generate` -- do not edit; a test fails when stale.
-- One row per accepted row of the ACTIVE version of each submission (kommunekode × aar).
with

source as (
    select * from {{{{ source('raw', '{name}') }}}}
    where {{{{ active_version() }}}}
),

final as (
    select
        kommunekode,
        aar,
        {cols},
        version,
        kilde_fil,
        raekke
    from source
)

select * from final
"""


def render_staging_yml() -> str:
    lines = [
        "# GENERATED from pipeline/contract by `kkm2 generate` -- do not edit; a test fails when stale.",
        "version: 2",
        "",
        "models:",
    ]
    for ds in DATASETS.values():
        lines += [
            f"  - name: stg_raw__{ds.name}",
            f"    description: {_esc('Den aktive versions accepterede rækker. ' + ds.grain)}",
            "    columns:",
        ]
        cols = [("kommunekode", LINEAGE_DOCS["kommunekode"]), ("aar", LINEAGE_DOCS["aar"])]
        cols += [(c.name, f"{c.label}. {c.help}") for c in ds.columns]
        cols += [(n, LINEAGE_DOCS[n]) for n in ("version", "kilde_fil", "raekke")]
        for name, doc in cols:
            lines += [f"      - name: {name}", f"        description: {_esc(doc)}"]
    return "\n".join(lines) + "\n"


def render_contract_macro() -> str:
    names = ", ".join(f"'{n}'" for n in DATASETS)
    return (
        "{# GENERATED from pipeline/contract by `kkm2 generate` -- do not edit; a test fails when stale. #}\n"
        "{% macro contract_datasets() -%}\n"
        f"    [{names}]\n"
        "{%- endmacro %}\n"
    )


def generated_files() -> dict:
    """Every dbt file generated from the contract or the catalogue: path -> text."""
    files = {
        REPO_ROOT / "dbt_project" / "macros" / "contract_datasets.sql": render_contract_macro(),
        SOURCES_FILE: render_sources(),
        STAGING_DIR / "_staging.yml": render_staging_yml(),
        MARTS_YML: render_marts_yml(),
        INTERMEDIATE_YML: render_intermediate_yml(),
    }
    for name in DATASETS:
        files[STAGING_DIR / f"stg_raw__{name}.sql"] = render_staging(name)
    return files
