"""The shipped municipality seed (98 municipalities, 4-char codes) agrees with the real public lists."""

from __future__ import annotations

import csv

from conftest import real_file

from pipeline.contract.codes import seed_rows
from pipeline.reference import kommune_by_name
from pipeline.text import canonical_kommunekode, header_key

OLD_NAMES = {
    "Århus": "Aarhus",
    "Brønderslev-Dronninglund": "Brønderslev",
    "Vesthimmerlands": "Vesthimmerland",
}
ISO_REGION = {
    "DK-81": "Nordjylland",
    "DK-82": "Midtjylland",
    "DK-83": "Syddanmark",
    "DK-84": "Hovedstaden",
    "DK-85": "Sjælland",
}


def seed():
    return {r["kommunekode"]: r for r in seed_rows("kommuner.csv")}


def test_codes_names_and_regions_match_the_lau1_list():
    kommuner = seed()
    with open(real_file("municipalities", "dk_municipalities_lau1_magnuslarsen.csv"), encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 99
    real = {canonical_kommunekode(r["lau_1"]): r for r in rows if r["label_dk"] != "Christiansø"}
    assert set(real) == set(kommuner) and len(kommuner) == 98
    names = kommune_by_name()  # current and former names from the seed
    for code, r in real.items():
        assert names[header_key(r["label_dk"])] == code, r["label_dk"]
        assert ISO_REGION[r["iso_3166_2"]] == kommuner[code]["region"], code


def test_regions_match_the_latin1_name_list():
    names, kommuner = kommune_by_name(), seed()
    with open(real_file("municipalities", "dk_kommuner_regioner_latin1_iholas.csv"), encoding="latin-1") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 97  # Helsingør is missing from that list
    for r in rows:
        assert kommuner[names[header_key(r["Kommune"])]]["region"] == r["Region"], r


def test_region_counts():
    counts = {}
    for r in seed().values():
        counts[r["region"]] = counts.get(r["region"], 0) + 1
    assert counts == {
        "Hovedstaden": 29,
        "Sjælland": 17,
        "Syddanmark": 22,
        "Midtjylland": 19,
        "Nordjylland": 11,
    }
