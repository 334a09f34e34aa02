"""The intermediate models' dbt YAML: grain and every column described. Column lists are declared here and a
test compares them with the built models; descriptions come from the published-column docs, the contract
and the catalogue, and the internal columns below."""

from __future__ import annotations

from pipeline.contract import codes as code_lists
from pipeline.contract.datasets import DATASETS
from pipeline.dbt_marts import COLUMNS
from pipeline.dbt_marts import yaml_str as _esc
from pipeline.settings import REPO_ROOT
from pipeline.warehouse import LINEAGE_DOCS

INTERMEDIATE_YML = REPO_ROOT / "models" / "intermediate" / "_intermediate.yml"

GRAIN = {
    "int_bygninger_aar": "One row per kommunekode × aar × bygning_id: the year's master data, sektor derived where blank, bda_m2 for part-year use.",
    "int_maalere_tilknyttet": "One row per kommunekode × aar × maaler_id × bygning_id × active period: share and period (instants, clipped to the year and the building's in-use period).",
    "int_forbrug_perioder": "One row per consumption period of a meter in base units, with the building it names; register readings turned into intervals (none negative).",
    "int_forbrug_kalenderiseret": "One row per kommunekode × aar × bygning_id × maaler_id × month inside the year (incremental by kommunekode × aar).",
    "int_maaler_daekning": "One row per kommunekode × aar × bygning_id × maaler_id: expected and covered seconds.",
    "int_indeklima_timer": "One row per kommunekode × aar × bygning_id × lokale_id × hour with readings, by instant (the repeated autumn hour is two rows; incremental by kommunekode × aar).",
    "int_indeklima_lokaler": "One row per kommunekode × aar × bygning_id × lokale_id: shares of occupied hours outside the limits and the room grade.",
    "int_indeklima_bygning": "One row per kommunekode × aar × bygning_id with indoor-climate data: pooled shares and the mean room grade.",
    "int_udgifter_bygning": "One row per kommunekode × aar × bygning_id with expense rows: amounts per key-figure group.",
    "int_vedligehold_gaeldende": "One row per kommunekode × aar × bygning_id × bygningsdel: the assessment that counts for the year (carried forward ≤ 5 years).",
    "int_vedligehold_bygning": "One row per kommunekode × aar × bygning_id with usable assessments: weighted grade, assessed weight share, condition (≥ 50 % weight).",
    "int_anvendelse_bygning": "One row per kommunekode × aar × bygning_id with usage rows: hours available, used, booked and the two rates.",
    "int_udnyttelse_bygning": "One row per kommunekode × aar × bygning_id with rows for the sektor's primary user type: users and capacity.",
    "int_understoettelse_bygning": "One row per kommunekode × aar × bygning_id with support ratings: mean over methods of the answer-weighted grade.",
    "int_graddage_aar": "One row per year with degree days: the year's sum (null unless 12 months) and the normal year.",
    "int_kommune_aar": "One row per kommunekode × aar with a population: inhabitants (FOLK1A, 1st quarter) and size band.",
    "int_noegletal_bygning_lang": "One row per kommunekode × aar × bygning_id × noegletal: value, numerator and denominator of its municipality aggregation.",
}

INTERNAL_DOCS = {
    "aktiv_fra_tid": "Start of the meter's active period for the building, clipped to the year and the building's in-use period (instant).",
    "aktiv_til_tid": "End (exclusive) of the meter's active period for the building, clipped to the year and the building's in-use period (instant).",
    "andel_co2_pct": "100 × the room's occupied hours with mean CO2 above the limit / occupied hours with CO2 data.",
    "andel_temp_pct": "100 × the room's occupied hours outside the temperature band / occupied hours with temperature data.",
    "antal_lokaler_med_karakter": "Rooms with a grade (measured or assessed).",
    "antal_maalinger": "Readings in the hour.",
    "antal_metoder": "Rating methods present for the building.",
    "brugte_rumtimer": "Occupied room-hours with readings, pooled over the building's rooms.",
    "brugte_timer": "The room's occupied hours with readings.",
    "co2_rumtimer": "Occupied room-hours with CO2 data, pooled.",
    "co2_rumtimer_over": "Occupied room-hours with mean CO2 above the limit, pooled.",
    "co2_timer": "The room's occupied hours with CO2 data.",
    "co2_timer_over": "The room's occupied hours with mean CO2 above the limit.",
    "daekkede_sekunder": "Seconds covered by the meter's periods for the building (inside its active period, the building's in-use period and the year).",
    "dage_i_aar": "Days in the year (365 or 366).",
    "dage_i_brug": "Days the building is in use in the year (i_brug_fra/i_brug_til, inclusive).",
    "drift_kr": "Operating expenses (kontogrupper with key-figure group drift), kr.",
    "enhed_leveret": "The unit as delivered.",
    "er_i_brug": "The room-hour counts as occupied (i_brug for at least half the readings, else the default schedule).",
    "er_maalt": "The room is graded by its measurements: it has occupied hours with data, in a building with at least min_brugte_rumtimer of them (seed parametre).",
    "forsyning_kr": "Supply expenses (forsyning_*), kr.",
    "forventede_sekunder": "Seconds the meter is expected to cover for the building (its active periods in the year, intersected with the building's in-use period).",
    "kilde": "Where the tilknytning comes from: `maalere` (the register) or `forbrug` (the building the rows name).",
    "fra_indberetning_aar": "The submission year the assessment came from.",
    "fra_tid": "Start of the period (instant).",
    "graddage_aar": "The year's degree days (null unless all 12 months are present).",
    "graddage_normal": "Degree days in a normal year (steward override, else the seed).",
    "graddage_normal_kilde": "Source of the normal year.",
    "gruppe": "Key-figure group of the supply type: el, varme or vand.",
    "har_i_brug_data": "The hour's readings carry i_brug.",
    "karakter_kilde": "Where the room grade comes from: maaling or vurdering.",
    "maengde_basis": "The period's amount in the base unit (kWh or m3).",
    "maengde_leveret": "The period's amount as delivered.",
    "naevner": "Denominator the municipality aggregation adds up.",
    "rengoering_kr": "Cleaning expenses, kr.",
    "rum_karakter": "The room's grade 1–5 (1 = best).",
    "samlet_kr": "All expenses incl. rent, kr.",
    "sekunder": "The period's length in seconds (real elapsed time).",
    "taeller": "Numerator the municipality aggregation adds up.",
    "temp_rumtimer": "Occupied room-hours with temperature data, pooled.",
    "temp_rumtimer_uden_for": "Occupied room-hours with mean temperature outside the band, pooled.",
    "temp_timer": "The room's occupied hours with temperature data.",
    "temp_timer_uden_for": "The room's occupied hours with mean temperature outside the band.",
    "til_tid": "End of the period (instant, exclusive).",
    "time_tid": "The local hour (instant of its start).",
    "timer_til_raadighed_med_booking": "Available hours of the rows that report booked hours.",
    "vaegtet_karakter": "Σ weight × grade / Σ weight over the assessed parts (before the 50 % rule).",
    "vedligehold_kr": "Maintenance expenses (vedligehold_*), kr.",
    "vurderet_vaegt_pct": "Share of all building-part weight with a usable assessment (%).",
}


def column_doc(name: str) -> str | None:
    if name in INTERNAL_DOCS:
        return INTERNAL_DOCS[name]
    if name in COLUMNS:
        return COLUMNS[name][1]
    if name in LINEAGE_DOCS:
        return LINEAGE_DOCS[name]
    for ds in DATASETS.values():
        for c in ds.columns:
            if c.name == name:
                return f"{c.label}. {c.help}"
    for r in code_lists.seed_rows("dim_noegletal.csv"):
        if r["noegletal"] == name:
            return f"{r['navn']} ({r['enhed']}). {r['definition']}"
    return None


INTERMEDIATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "int_anvendelse_bygning": (
        "kommunekode",
        "aar",
        "bygning_id",
        "timer_til_raadighed",
        "timer_anvendt",
        "timer_booket",
        "timer_til_raadighed_med_booking",
        "anvendelsesgrad_pct",
        "bookingsgrad_pct",
    ),
    "int_bygninger_aar": (
        "kommunekode",
        "aar",
        "bygning_id",
        "bbr_id",
        "bfe_nummer",
        "ejendom_id",
        "navn",
        "adresse",
        "postnummer",
        "anvendelseskode",
        "sektor",
        "er_sektor_udledt",
        "ejerforhold",
        "bruttodriftsareal_m2",
        "bbr_bygningsareal_m2",
        "opvarmet_areal_m2",
        "opfoerelsesaar",
        "ombygningsaar",
        "i_brug_fra",
        "i_brug_til",
        "lat",
        "lon",
        "dage_i_brug",
        "dage_i_aar",
        "bda_m2",
        "version",
        "kilde_fil",
        "raekke",
    ),
    "int_forbrug_kalenderiseret": (
        "kommunekode",
        "aar",
        "version",
        "bygning_id",
        "maaler_id",
        "forsyningsart",
        "maaned",
        "maengde",
        "daekkede_sekunder",
    ),
    "int_forbrug_perioder": (
        "kommunekode",
        "aar",
        "version",
        "maaler_id",
        "bygning_id",
        "forsyningsart",
        "fra_tid",
        "til_tid",
        "maengde_basis",
        "maengde_leveret",
        "enhed_leveret",
        "sekunder",
        "kilde_fil",
        "raekke",
    ),
    "int_graddage_aar": (
        "aar",
        "graddage_aar",
        "graddage_normal",
        "graddage_normal_kilde",
    ),
    "int_indeklima_bygning": (
        "kommunekode",
        "aar",
        "bygning_id",
        "brugte_rumtimer",
        "co2_rumtimer",
        "co2_rumtimer_over",
        "temp_rumtimer",
        "temp_rumtimer_uden_for",
        "andel_timer_co2_over_1000",
        "andel_timer_temp_uden_for_20_26",
        "indeklima_karakter",
        "antal_lokaler_med_karakter",
    ),
    "int_indeklima_lokaler": (
        "kommunekode",
        "aar",
        "bygning_id",
        "lokale_id",
        "brugte_timer",
        "co2_timer",
        "co2_timer_over",
        "temp_timer",
        "temp_timer_uden_for",
        "andel_co2_pct",
        "andel_temp_pct",
        "er_maalt",
        "rum_karakter",
        "karakter_kilde",
    ),
    "int_indeklima_timer": (
        "kommunekode",
        "aar",
        "version",
        "bygning_id",
        "lokale_id",
        "time_tid",
        "co2_ppm",
        "temperatur_c",
        "antal_maalinger",
        "er_i_brug",
        "har_i_brug_data",
    ),
    "int_kommune_aar": (
        "kommunekode",
        "aar",
        "indbyggere",
        "stoerrelse",
    ),
    "int_maaler_daekning": (
        "kommunekode",
        "aar",
        "bygning_id",
        "maaler_id",
        "forsyningsart",
        "gruppe",
        "forventede_sekunder",
        "daekkede_sekunder",
    ),
    "int_maalere_tilknyttet": (
        "kommunekode",
        "aar",
        "maaler_id",
        "bygning_id",
        "forsyningsart",
        "andel",
        "aktiv_fra_tid",
        "aktiv_til_tid",
        "kilde",
    ),
    "int_noegletal_bygning_lang": (
        "kommunekode",
        "aar",
        "sektor",
        "bygning_id",
        "noegletal",
        "bda_m2",
        "vaerdi",
        "taeller",
        "naevner",
    ),
    "int_udgifter_bygning": (
        "kommunekode",
        "aar",
        "bygning_id",
        "drift_kr",
        "vedligehold_kr",
        "rengoering_kr",
        "forsyning_kr",
        "samlet_kr",
    ),
    "int_udnyttelse_bygning": (
        "kommunekode",
        "aar",
        "bygning_id",
        "brugertype",
        "brugere",
        "kapacitet",
    ),
    "int_understoettelse_bygning": (
        "kommunekode",
        "aar",
        "bygning_id",
        "understoettelsesgrad",
        "antal_metoder",
    ),
    "int_vedligehold_bygning": (
        "kommunekode",
        "aar",
        "bygning_id",
        "vaegtet_karakter",
        "vurderet_vaegt_pct",
        "vedligeholdelsestilstand",
    ),
    "int_vedligehold_gaeldende": (
        "kommunekode",
        "aar",
        "bygning_id",
        "bygningsdel",
        "karakter",
        "vurderingsdato",
        "fra_indberetning_aar",
    ),
}


def render_intermediate_yml() -> str:
    lines = [
        "# GENERATED by `kkm2 generate` from pipeline/dbt_intermediate.py -- do not edit; a test fails when stale.",
        "version: 2",
        "",
        "models:",
    ]
    for model, cols in sorted(INTERMEDIATE_COLUMNS.items()):
        lines += [f"  - name: {model}", f"    description: {_esc(GRAIN[model])}", "    columns:"]
        for col in cols:
            lines += [f"      - name: {col}", f"        description: {_esc(column_doc(col) or '')}"]
    return "\n".join(lines) + "\n"
