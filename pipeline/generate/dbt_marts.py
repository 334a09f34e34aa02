"""The published tables' dbt YAML (grain, Danish column docs, enforced contracts, tests), generated from one
place: column docs here or in the shared docs blocks, building columns from the contract, figure columns from
the catalogue seed."""

from __future__ import annotations

from pipeline.contract import codes as code_lists
from pipeline.contract.datasets import DATASETS
from pipeline.contract.model import TYPES
from pipeline.contract.parameters import (
    BENCHMARK_MIN_DAEKNING_PCT,
    COMPARABLE_MAX_COVERAGE_DIFFERENCE,
    SUPPRESSION_MIN_KOMMUNER,
    min_kommuner,
    parameter_text,
)
from pipeline.generate.dbt_yaml import dbt_yaml, doc
from pipeline.settings import REPO_ROOT
from pipeline.states import DatasetState

MARTS_YML = REPO_ROOT / "models" / "marts" / "_marts.yml"

BUILDING_KEY = ["kommunekode", "aar", "bygning_id"]
_N_MIN = min_kommuner(SUPPRESSION_MIN_KOMMUNER)
_BENCHMARK_MIN = parameter_text(BENCHMARK_MIN_DAEKNING_PCT)

# Column name -> (data type, Danish description). One definition per column across the published tables; a
# column many models share is described in its docs block (models/_column_docs.md) and named here with doc().
# Thresholds are quoted from the parameter seed (seeds/parametre.csv), never typed here.
COLUMNS: dict[str, tuple[str, str]] = {
    "kommunekode": ("varchar", doc("kommunekode")),
    "kommunenavn": ("varchar", "Kommunens navn."),
    "region": ("varchar", "Regionens navn (Hovedstaden, Sjælland, Syddanmark, Midtjylland, Nordjylland)."),
    "regionskode": ("varchar", "Regionskode (1081–1085)."),
    "model_version": ("varchar", "Version af referencedata."),
    "aar": ("integer", doc("aar")),
    "bygning_id": ("varchar", doc("bygning_id")),
    "navn": ("varchar", "Bygningens navn."),
    "sektor": ("varchar", doc("sektor")),
    "er_sektor_udledt": ("boolean", "Sektoren er udledt af BBR-anvendelseskoden."),
    "ejerforhold": ("varchar", "ejet, lejet eller selvejende."),
    "bda_m2": ("double", doc("bda_m2")),
    "indberetning_version": ("integer", "Den aktive version af indberetningen, som tallene bygger på."),
    "forsyningsart": ("varchar", doc("forsyningsart")),
    "maaned": ("date", doc("maaned")),
    "maengde": ("double", "Kalenderiseret forbrug i måneden i basisenheden, med målerandele."),
    "enhed": ("varchar", "Enheden (kWh, m3 eller nøgletallets enhed)."),
    "el_daekning_pct": ("double", "Dækkede timer / forventede timer for bygningens elmålere i året (%)."),
    "varme_daekning_pct": (
        "double",
        "Dækkede timer / forventede timer for bygningens varmemålere i året (%).",
    ),
    "vand_daekning_pct": ("double", "Dækkede timer / forventede timer for bygningens vandmålere i året (%)."),
    "vedligehold_vurderet_vaegt_pct": (
        "double",
        "Andel af bygningsdelenes samlede vægt med en brugbar vurdering (%).",
    ),
    "naermere_eftersyn": (
        "boolean",
        "Markeret til nærmere eftersyn (foreløbig regel; tærsklerne eftersyn_* står i seed parametre).",
    ),
    "naermere_eftersyn_aarsag": ("varchar", "Hvorfor bygningen er markeret, med tallene."),
    "noegletal": ("varchar", doc("noegletal")),
    "vaerdi": ("double", doc("vaerdi")),
    "daekning_pct": ("double", "Areal af bygninger med input / kommunens og sektorens samlede areal (%)."),
    "antal_bygninger_med_data": ("bigint", "Antal bygninger med input til nøgletallet."),
    "indgaar_i_benchmark": (
        "boolean",
        f"Dækning ≥ {_BENCHMARK_MIN} %: værdien indgår i benchmark og sammenligning.",
    ),
    "sammenligningsgruppe": (
        "varchar",
        "alle, region:<navn> eller stoerrelse:<gruppe> (efter indbyggertal).",
    ),
    "n_kommuner": ("bigint", "Antal kommuner i gruppen, der indgår."),
    "undertrykt": ("boolean", f"Færre end {_N_MIN} kommuner: statistikken er tom (n vises)."),
    "gennemsnit": ("double", "Simpelt gennemsnit af kommunernes værdier."),
    "median": ("double", "Median (kontinuert fraktil)."),
    "p25": ("double", "Nedre kvartil (kontinuert fraktil)."),
    "p75": ("double", "Øvre kvartil (kontinuert fraktil)."),
    "min": ("double", "Mindste værdi."),
    "max": ("double", "Største værdi."),
    "landsmedian": ("double", "Median for hele landet (tom hvis undertrykt)."),
    "gruppemedian": ("double", "Median for kommunens størrelsesgruppe (tom hvis undertrykt)."),
    "percentil": (
        "double",
        f"0 = dårligst, 100 = bedst (neutrale: stigende værdi); tom når færre end {_N_MIN} sammenlignes.",
    ),
    "rang": ("bigint", "1 = bedst (neutrale: laveste værdi); lige værdier deler rang."),
    "n": ("bigint", "Antal kommuner, der sammenlignes."),
    "aendring": ("double", "Værdi − værdien året før (samme sektor og nøgletal)."),
    "aendring_pct": ("double", "100 × ændring / værdien året før."),
    "sammenlignelig": (
        "boolean",
        "Ændringen er sammenlignelig: begge års værdier indgår i benchmark, og deres dækning afviger højst "
        f"{parameter_text(COMPARABLE_MAX_COVERAGE_DIFFERENCE)} procentpoint (falsk uden et år før).",
    ),
    "retning": ("varchar", "lavere_er_bedre, hoejere_er_bedre eller neutral."),
    "dataset": ("varchar", "Datasættet i informationsmodellen."),
    "indbyggere": ("bigint", "Indbyggere 1. januar (FOLK1A, 1. kvartal)."),
    "stoerrelse": (
        "varchar",
        "Størrelsesgruppe efter indbyggertal: under_25000, 25000_49999, 50000_99999, 100000_og_derover.",
    ),
    "version": ("integer", "Seneste version af indberetningen (tom: intet modtaget)."),
    "status": (
        "varchar",
        f"Datasættets tilstand (audit.dataset_states): {', '.join(DatasetState)}.",
    ),
    "filer": ("varchar", "Filerne i datasættet (JSON-liste)."),
    "raekker_modtaget": ("bigint", "Modtagne rækker = accepterede + afviste + sprunget over."),
    "raekker_accepteret": ("bigint", "Accepterede rækker."),
    "raekker_afvist": ("bigint", "Afviste rækker (med dansk begrundelse i tilbagemeldingen)."),
    "raekker_sprunget_over": ("bigint", "Rækker sprunget over (fx Eloverbliks periodesummer)."),
    "advarsler": ("bigint", "Antal advarsler."),
    "senest_modtaget_tid": ("timestamp with time zone", "Hvornår seneste version blev modtaget."),
    "gate2_advarsler": (
        "bigint",
        "Antal plausibilitetsadvarsler (gate 2) for kommunen og året i seneste byggeri.",
    ),
    "gate3_fejl": (
        "bigint",
        "Antal fejlede udgivelseskontroller (gate 3); en fejl holder versionen tilbage.",
    ),
    "kvalitet_besked": ("varchar", "Beskeder fra gate 2 og 3, der ikke var i orden (tom: alt i orden)."),
}
# The catalogue's aggregations (dim_noegletal.aggregering) of figures that exist at municipality level only:
# what they add up is not a building's own value of the figure, but every building (antal), the building's
# condition grade (andel_areal_tilstand_4_5) or the inhabitants (areal_pr_indbygger); fct_noegletal_bygning.
MUNICIPALITY_LEVEL_AGGREGATIONS = {"antal", "andel_areal_tilstand_4_5", "areal_pr_indbygger"}


def building_figures() -> list[dict]:
    """The catalogue's figures that are columns of mart_noegletal_bygning, in catalogue order."""
    return [
        r
        for r in code_lists.seed_rows("dim_noegletal.csv")
        if r["aggregering"] not in MUNICIPALITY_LEVEL_AGGREGATIONS
    ]


def _figure_column(r: dict) -> tuple[str, str, str]:
    text = f"{r['navn']} ({r['enhed']}). {r['definition']}" + (
        " Foreløbig model." if r["er_foreloebig"] == "true" else ""
    )
    return r["noegletal"], "double", text


def _named(*names: str) -> list[tuple[str, str, str]]:
    return [(n, *COLUMNS[n]) for n in names]


def _dim_bygning_columns() -> list[tuple[str, str, str]]:
    cols = _named("kommunekode", "aar")
    for c in DATASETS["bygninger"].columns:
        cols.append((c.name, TYPES[c.type].sql.lower(), f"{c.label}. {c.help}"))
        if c.name == "sektor":
            cols += _named("er_sektor_udledt")
    return cols + _named("bda_m2", "indberetning_version")


def tables() -> dict[str, dict]:
    """Published model -> grain, columns (name, type, Danish doc) and key."""
    return {
        "dim_kommune": {
            "grain": "Én række pr. kommune (de 98; Christiansø er ikke en kommune).",
            "columns": _named("kommunekode", "kommunenavn", "region", "regionskode", "model_version"),
            "key": ["kommunekode"],
        },
        "dim_kommune_aar": {
            "grain": "Én række pr. kommunekode × aar med indbyggertal (FOLK1A, 1. kvartal) og størrelsesgruppe.",
            "columns": _named("kommunekode", "aar", "indbyggere", "stoerrelse"),
            "key": ["kommunekode", "aar"],
        },
        "dim_bygning": {
            "grain": "Én række pr. kommunekode × aar × bygning_id fra årets stamdata (den aktive version).",
            "columns": _dim_bygning_columns(),
            "key": BUILDING_KEY,
        },
        "fct_forbrug_maaned": {
            "grain": "Én række pr. kommunekode × aar × bygning_id × forsyningsart × måned: kalenderiseret forbrug i "
            "kWh (el og varme) eller m3 (vand), fordelt efter reelle timer, med målerandele.",
            "columns": _named(
                "kommunekode", "aar", "bygning_id", "forsyningsart", "maaned", "maengde", "enhed"
            ),
            "key": ["kommunekode", "aar", "bygning_id", "forsyningsart", "maaned"],
        },
        "mart_noegletal_bygning": {
            "grain": "Én række pr. kommunekode × aar × bygning_id: alle nøgletal pr. bygning med koderne fra "
            "dim_noegletal som kolonnenavne. Et nøgletal er tomt, når dets input mangler.",
            "columns": _named("kommunekode", "aar", "bygning_id", "navn", "sektor", "ejerforhold")
            + [_figure_column(r) for r in building_figures()]
            + _named(
                "el_daekning_pct",
                "varme_daekning_pct",
                "vand_daekning_pct",
                "vedligehold_vurderet_vaegt_pct",
                "naermere_eftersyn",
                "naermere_eftersyn_aarsag",
            ),
            "key": BUILDING_KEY,
        },
        "mart_noegletal_kommune": {
            "grain": "Én række pr. kommunekode × aar × sektor (hver sektor og alle) × noegletal, aggregeret som "
            "kataloget siger; en bygning uden input indgår hverken i tæller eller nævner.",
            "columns": _named(
                "kommunekode",
                "aar",
                "sektor",
                "noegletal",
                "vaerdi",
                "enhed",
                "daekning_pct",
                "antal_bygninger_med_data",
                "indgaar_i_benchmark",
            ),
            "key": ["kommunekode", "aar", "sektor", "noegletal"],
        },
        "mart_benchmark": {
            "grain": "Én række pr. aar × sektor × noegletal × sammenligningsgruppe over de kommuner, der indgår; "
            f"undertrykt under {_N_MIN} kommuner.",
            "columns": _named(
                "aar",
                "sektor",
                "noegletal",
                "sammenligningsgruppe",
                "n_kommuner",
                "undertrykt",
                "gennemsnit",
                "median",
                "p25",
                "p75",
                "min",
                "max",
            ),
            "key": ["aar", "sektor", "noegletal", "sammenligningsgruppe"],
        },
        "mart_kommune_sammenligning": {
            "grain": "Én række pr. kommunekode × aar × sektor × noegletal: værdi mod landet og størrelsesgruppen, "
            "percentil, rang og ændring mod året før, og om ændringen er sammenlignelig.",
            "columns": _named(
                "kommunekode",
                "aar",
                "sektor",
                "noegletal",
                "vaerdi",
                "landsmedian",
                "gruppemedian",
                "percentil",
                "rang",
                "n",
                "aendring",
                "aendring_pct",
                "sammenlignelig",
                "retning",
            ),
            "key": ["kommunekode", "aar", "sektor", "noegletal"],
        },
        "mart_indberetning_status": {
            "grain": "Én række pr. kommunekode × aar × datasæt for alle forventede (reference deltagere) og alle, "
            "der har indberettet.",
            "columns": _named(
                "kommunekode",
                "aar",
                "dataset",
                "version",
                "status",
                "filer",
                "raekker_modtaget",
                "raekker_accepteret",
                "raekker_afvist",
                "raekker_sprunget_over",
                "advarsler",
                "senest_modtaget_tid",
                "gate2_advarsler",
                "gate3_fejl",
                "kvalitet_besked",
            ),
            "key": ["kommunekode", "aar", "dataset"],
        },
    }


STATUSES = [str(s) for s in DatasetState]  # pipeline.states: the dataset state view's values
IS_A_FIGURE = {"relationships": {"arguments": {"to": "ref('dim_noegletal')", "field": "noegletal"}}}
COLUMN_TESTS: dict[tuple[str, str], list] = {
    ("dim_bygning", "kommunekode"): [
        {"relationships": {"arguments": {"to": "ref('dim_kommune')", "field": "kommunekode"}}}
    ],
    ("mart_indberetning_status", "status"): [{"accepted_values": {"arguments": {"values": STATUSES}}}],
    ("mart_benchmark", "undertrykt"): ["not_null"],
    ("mart_noegletal_kommune", "noegletal"): [IS_A_FIGURE],
    ("mart_benchmark", "noegletal"): [IS_A_FIGURE],
    ("mart_kommune_sammenligning", "noegletal"): [IS_A_FIGURE],
}
# The building tables' rows are buildings of the year's master data (dim_bygning).
IS_A_BUILDING = {"relationships_key": {"arguments": {"columns": BUILDING_KEY, "to": "ref('dim_bygning')"}}}
MODEL_TESTS: dict[str, list] = {
    "fct_forbrug_maaned": [IS_A_BUILDING],
    "mart_noegletal_bygning": [IS_A_BUILDING],
}


def render_marts_yml() -> str:
    """Each table's key is tested by unique_key (unique, and never null), its other tests are below."""
    models = []
    for name, spec in tables().items():
        columns = []
        for col, dtype, text in spec["columns"]:
            column: dict = {"name": col, "data_type": dtype, "description": text}
            if (name, col) in COLUMN_TESTS:
                column["data_tests"] = COLUMN_TESTS[name, col]
            columns.append(column)
        models.append(
            {
                "name": name,
                "description": spec["grain"],
                "config": {"contract": {"enforced": True}},
                "data_tests": [
                    {"unique_key": {"arguments": {"columns": spec["key"]}}},
                    *MODEL_TESTS.get(name, []),
                ],
                "columns": columns,
            }
        )
    return dbt_yaml(
        {"version": 2, "models": models},
        "pipeline/generate/dbt_marts.py, the contract and seeds/dim_noegletal.csv",
    )
