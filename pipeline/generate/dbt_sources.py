"""dbt's sources (raw, audit, reference) and the staging models with their YAML, from the contract."""

from __future__ import annotations

from pipeline.contract.datasets import DATASETS
from pipeline.generate.dbt_yaml import dbt_yaml, doc
from pipeline.reference import GRAINS
from pipeline.settings import REPO_ROOT
from pipeline.states import DatasetState
from pipeline.warehouse import LINEAGE_COLUMNS

SOURCES_FILE = REPO_ROOT / "models" / "staging" / "_raw__sources.yml"
STAGING_DIR = REPO_ROOT / "models" / "staging"
CONTRACT_MACRO = REPO_ROOT / "dbt_project" / "macros" / "contract_datasets.sql"

REFERENCE_DOCS = {
    "befolkning": "Indbyggere pr. kommune og år (FOLK1A, 1. kvartal).",
    "graddage": "Graddage pr. måned.",
    "graddage_normalaar": "Stewardens normalår (tilsidesætter seed graddage_normalaar), hvis angivet.",
    "emissionsfaktorer": "g CO2e pr. kWh pr. forsyningsart og år.",
    "deltagere": "Kommuner, der forventes at indberette for et år.",
}
AUDIT_DOCS = {
    "submissions": "Én række pr. version af en indberetning (kommune × år).",
    "active_submissions": "Den aktive version pr. indberetning (den nyeste, der bestod sine gates).",
    "submission_datasets": "Optællinger pr. version og datasæt (modtaget = accepteret + afvist + sprunget over).",
    "gate_results": "Resultaterne af gate 2 (plausibilitet) og gate 3 (udgivelse) pr. kontrol, kommune og år.",
    "dataset_states": "Tilstanden af hvert datasæt i hver version (pipeline.states), med filer og optællinger: "
    + ", ".join(DatasetState)
    + ".",
}
# A staging model's grain: one row per accepted row of the active version, named by its lineage.
STAGING_KEY = ["kommunekode", "aar", "kilde_fil", "raekke"]
# Datasets of meter readings: tens of millions of rows at national scale, where the test of the grain hashes
# them all (an estimated 30–45 s each at S = 1). Tagged `heavy`: the nightly build runs them, builds on new data
# do not (pipeline/defs/dbt_assets.py).
READINGS = ("forbrug", "indeklima_maalinger")
HEAVY = {"config": {"tags": ["heavy"]}}


def unique_key(columns: list[str], heavy: bool = False) -> dict:
    return {"unique_key": {"arguments": {"columns": list(columns)}, **(HEAVY if heavy else {})}}


def render_sources() -> str:
    raw_tables = []
    for ds in DATASETS.values():
        columns = [{"name": n, "description": doc(n), "data_tests": ["not_null"]} for n, _ in LINEAGE_COLUMNS]
        for c in ds.columns:
            column = {"name": c.name, "description": c.help}
            if c.required or c.filled:
                column["data_tests"] = ["not_null"]
            columns.append(column)
        raw_tables.append({"name": ds.name, "description": f"{ds.label}. {ds.grain}", "columns": columns})
    reference_tables = []
    for table, text in REFERENCE_DOCS.items():
        entry: dict = {"name": table, "description": text}
        if table in GRAINS:  # the loader keeps one row per key; the build checks it
            entry["data_tests"] = [unique_key(GRAINS[table].key)]
        reference_tables.append(entry)
    document = {
        "version": 2,
        "sources": [
            {
                "name": "raw",
                "schema": "raw",
                "description": "Accepterede rækker fra indberetningerne (gate 1), alle versioner, med sporbarhed.",
                "tables": raw_tables,
            },
            {
                "name": "audit",
                "schema": "audit",
                "description": "Indberetningernes versioner, fund og optællinger.",
                "tables": [{"name": t, "description": text} for t, text in AUDIT_DOCS.items()],
            },
            {
                "name": "reference",
                "schema": "reference",
                "description": "Referencedata fra stewarden (reference/); tomme tabeller når filen mangler.",
                "tables": reference_tables,
            },
        ],
    }
    return dbt_yaml(document, "pipeline/contract")


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
    models = []
    for ds in DATASETS.values():
        columns = [{"name": n, "description": doc(n)} for n in ("kommunekode", "aar")]
        columns += [{"name": c.name, "description": f"{c.label}. {c.help}"} for c in ds.columns]
        columns += [{"name": n, "description": doc(n)} for n in ("version", "kilde_fil", "raekke")]
        models.append(
            {
                "name": f"stg_raw__{ds.name}",
                "description": f"Den aktive versions accepterede rækker. {ds.grain}",
                "data_tests": [unique_key(STAGING_KEY, heavy=ds.name in READINGS)],
                "columns": columns,
            }
        )
    return dbt_yaml({"version": 2, "models": models}, "pipeline/contract")


def render_contract_macro() -> str:
    names = ", ".join(f"'{n}'" for n in DATASETS)
    return (
        "{# GENERATED from pipeline/contract by `kkm2 generate` -- do not edit; a test fails when stale. #}\n"
        "{% macro contract_datasets() -%}\n"
        f"    [{names}]\n"
        "{%- endmacro %}\n"
    )


def generated_files() -> dict:
    """The dbt files generated from the contract: path -> text."""
    files = {
        CONTRACT_MACRO: render_contract_macro(),
        SOURCES_FILE: render_sources(),
        STAGING_DIR / "_staging.yml": render_staging_yml(),
    }
    for name in DATASETS:
        files[STAGING_DIR / f"stg_raw__{name}.sql"] = render_staging(name)
    return files
