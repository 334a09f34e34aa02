"""The published information model for IT vendors and contributors, generated from the contract:
a JSON Schema per dataset, a Danish human doc and a small valid sample per dataset (docs/)."""

from __future__ import annotations

import json

from pipeline.contract.datasets import CONTRACT_VERSION, DATASETS
from pipeline.contract.model import TYPES, Column, Dataset
from pipeline.contract.samples import sample_csv
from pipeline.settings import REPO_ROOT
from pipeline.text import da_number_short

DOCS_DIR = REPO_ROOT / "docs"


def _property(c: Column) -> dict:
    p: dict = {"title": c.label, "description": c.help, "type": TYPES[c.type].json}
    if TYPES[c.type].json_format:
        p["format"] = TYPES[c.type].json_format
    if c.codes:
        values = c.code_values()
        p["enum"] = [int(v) for v in values] if c.type == "int" else list(values)
    if c.min is not None:
        p["exclusiveMinimum" if c.min_exclusive else "minimum"] = c.min
    if c.max is not None:
        p["maximum"] = c.max
    if c.max_len:
        p["maxLength"] = c.max_len
    if c.pattern:
        p["pattern"] = c.pattern
    if c.unit:
        p["x-enhed"] = c.unit
    if c.example is not None:
        p["examples"] = [c.example]
    if c.required_text:
        p["x-paakraevet"] = c.required_text
    return p


def json_schema(ds: Dataset) -> dict:
    """JSON Schema (2020-12) of one row of the dataset, as JSON or after a CSV/XLSX is parsed."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"kkm2/informationsmodel/{CONTRACT_VERSION}/{ds.name}.schema.json",
        "title": ds.label,
        "description": ds.grain,
        "x-kontraktversion": CONTRACT_VERSION,
        "type": "object",
        "properties": {c.name: _property(c) for c in ds.columns},
        "required": [c.name for c in ds.columns if c.required],
    }


def _rule(c: Column) -> str:
    return (
        c.expected_da()
        if (c.codes or c.min is not None or c.max is not None or c.pattern or c.max_len)
        else ""
    )


def render_markdown() -> str:
    from pipeline.validation.rules import catalogue  # the rules read the contract: imported when rendering
    from pipeline.validation.rules.files import FILE_CHECKS

    lines = [
        f"# Informationsmodel for kkm2 — kontrakt v{CONTRACT_VERSION}",
        "",
        "Genereret af `kkm2 generate` fra kontrakten i `pipeline/contract/` — ret ikke i filen.",
        "",
        "Hver indberetning er alt, hvad en kommune sender for ét år: filerne i `<kommunekode>/<aar>/`. En fil",
        "hører til datasættet, som dens navn (eller mappen lige under året) begynder med. Formater: CSV, XLSX",
        "(også én projektmappe med et ark pr. datasæt), JSON og Parquet. Overskrifter kan være kolonnenavnene",
        "eller de danske etiketter nedenfor. Tidspunkter uden tidszone er dansk tid.",
        "",
        "**Karakterer: 1 = bedst, 5 = dårligst** for vedligehold, indeklima og understøttelse.",
        "",
    ]
    for ds in DATASETS.values():
        req = (
            "påkrævet i hver indberetning"
            if ds.required
            else "forventet; vises som mangler indtil den kommer"
        )
        lines += [
            f"## `{ds.name}` — {ds.label}",
            "",
            f"{ds.grain} ({req}.)",
            "",
            "| kolonne | etiket | type | påkrævet | betydning | regel | eksempel |",
            "|---|---|---|---|---|---|---|",
        ]
        for c in ds.columns:
            required = "ja" if c.required else (c.required_text or "nej")
            lines.append(
                f"| `{c.name}` | {c.label} | {TYPES[c.type].da} | {required} | {c.help} | {_rule(c)} | "
                f"{c.example or ''} |"
            )
        lines += [
            "",
            f"Eksempel: [`eksempler/{ds.name}.csv`](eksempler/{ds.name}.csv), "
            f"skema: [`skema/{ds.name}.schema.json`](skema/{ds.name}.schema.json).",
            "",
            f"Regler i gate 1 for `{ds.name}` (kode, alvorlighed, kolonne, besked; … er værdien fra rækken):",
            "",
            "| kode | alvorlighed | kolonne | besked |",
            "|---|---|---|---|",
            *(f"| `{code}` | {sev} | {col} | {_cell(text)} |" for code, sev, col, text in catalogue(ds.name)),
            "",
        ]
    lines += [
        "## Regler for filerne",
        "",
        "Før rækkerne: hvad der læses, og hvordan overskrifterne passer til kontrakten.",
        "",
        "| kode | alvorlighed | besked |",
        "|---|---|---|",
        *(f"| `{c.code}` | {c.severity} | {_cell(c.doc or c.message)} |" for c in FILE_CHECKS),
        "",
        f"Tal skrives med decimalkomma eller -punktum; tusindtalsadskiller punktum (fx {da_number_short(1234.5)}).",
    ]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """A text in a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def generated_files() -> dict:
    files = {DOCS_DIR / "informationsmodel.md": render_markdown()}
    for name, ds in DATASETS.items():
        files[DOCS_DIR / "skema" / f"{name}.schema.json"] = (
            json.dumps(json_schema(ds), ensure_ascii=False, indent=2) + "\n"
        )
        files[DOCS_DIR / "eksempler" / f"{name}.csv"] = sample_csv(ds)
    return files
