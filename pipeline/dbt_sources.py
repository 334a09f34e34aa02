"""Generates dbt's source YAML for the raw and audit tables from the contract (one definition)."""

from __future__ import annotations

from pipeline.contract import codes as code_lists
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


REFERENCE_DOCS = {
    "befolkning": "Indbyggere pr. kommune og år (FOLK1A, 1. kvartal).",
    "graddage": "Graddage pr. måned.",
    "graddage_normalaar": "Stewardens normalår (tilsidesætter seed graddage_normalaar), hvis angivet.",
    "emissionsfaktorer": "g CO2e pr. kWh pr. forsyningsart og år.",
    "deltagere": "Kommuner, der forventes at indberette for et år.",
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
    lines += [
        "  - name: reference",
        "    schema: reference",
        "    description: Referencedata fra stewarden (reference/); tomme tabeller når filen mangler.",
        "    tables:",
    ]
    for table, doc in REFERENCE_DOCS.items():
        lines += [f"      - name: {table}", f"        description: {_esc(doc)}"]
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
        ]
    return "\n".join(lines) + "\n"


MART_BYGNING_EXTRA = {
    "kommunekode": "Kommunekode (4 tegn).",
    "aar": "Indberetningsåret.",
    "bygning_id": "Kommunens bygnings-id.",
    "navn": "Bygningens navn.",
    "sektor": "Sektor (angivet, ellers udledt af BBR-anvendelseskoden).",
    "ejerforhold": "ejet, lejet eller selvejende.",
    "el_daekning_pct": "Dækkede timer / forventede timer for bygningens elmålere i året (%).",
    "varme_daekning_pct": "Dækkede timer / forventede timer for bygningens varmemålere i året (%).",
    "vand_daekning_pct": "Dækkede timer / forventede timer for bygningens vandmålere i året (%).",
    "vedligehold_vurderet_vaegt_pct": "Andel af bygningsdelenes samlede vægt med en brugbar vurdering (%).",
    "naermere_eftersyn": "Markeret til nærmere eftersyn (foreløbig regel i seed naermere_eftersyn_regel).",
    "naermere_eftersyn_aarsag": "Hvorfor bygningen er markeret, med tallene.",
}
BUILDING_LEVEL_EXCLUDED = {"antal_bygninger", "m2_pr_indbygger", "andel_m2_tilstand_4_5"}  # municipality only


def building_figures() -> list[dict]:
    """The catalogue's figures that are columns of mart_noegletal_bygning, in catalogue order."""
    return [
        r for r in code_lists.seed_rows("dim_noegletal.csv") if r["noegletal"] not in BUILDING_LEVEL_EXCLUDED
    ]


def render_mart_bygning_yml() -> str:
    """The building mart's docs: each figure's column described from the catalogue (dim_noegletal)."""
    lines = [
        "# GENERATED from seeds/dim_noegletal.csv by `kkm2 generate` -- do not edit; a test fails when stale.",
        "version: 2",
        "",
        "models:",
        "  - name: mart_noegletal_bygning",
        "    description: >",
        "      Én række pr. kommunekode × aar × bygning_id: alle nøgletal pr. bygning (KEY_FIGURES.md), med",
        "      koderne fra dim_noegletal som kolonnenavne. Et nøgletal er tomt, når dets input mangler.",
        "    data_tests:",
        "      - unique_key: {arguments: {columns: [kommunekode, aar, bygning_id]}}",
        "    columns:",
    ]
    for name in ("kommunekode", "aar", "bygning_id", "navn", "sektor", "ejerforhold"):
        lines += [f"      - name: {name}", f"        description: {_esc(MART_BYGNING_EXTRA[name])}"]
    for r in building_figures():
        text = f"{r['navn']} ({r['enhed']}). {r['definition']}"
        if r["er_foreloebig"] == "true":
            text += " Foreløbig model."
        lines += [f"      - name: {r['noegletal']}", f"        description: {_esc(text)}"]
    for name in (
        "el_daekning_pct",
        "varme_daekning_pct",
        "vand_daekning_pct",
        "vedligehold_vurderet_vaegt_pct",
        "naermere_eftersyn",
        "naermere_eftersyn_aarsag",
    ):
        lines += [f"      - name: {name}", f"        description: {_esc(MART_BYGNING_EXTRA[name])}"]
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
        REPO_ROOT / "models" / "marts" / "_mart_noegletal_bygning.yml": render_mart_bygning_yml(),
    }
    for name in DATASETS:
        files[STAGING_DIR / f"stg_raw__{name}.sql"] = render_staging(name)
    return files
