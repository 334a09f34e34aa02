from pipeline.contract import codes
from pipeline.contract.datasets import dataset_for_file, get_dataset
from pipeline.text import canonical_kommunekode, fold, header_key


def test_fold_makes_codes_case_and_accent_insensitive():
    assert fold("  KWH ") == "kwh"
    assert fold("Ældre") == "aeldre"
    assert fold("Idræt") == "idraet"


def test_danish_template_labels_match_contract_names():
    bygninger = get_dataset("bygninger")
    assert bygninger.match_header("Bruttodriftsareal (m²)").name == "bruttodriftsareal_m2"
    assert bygninger.match_header(" BRUTTODRIFTSAREAL_M2 ").name == "bruttodriftsareal_m2"
    assert bygninger.match_header("Opførelsesår").name == "opfoerelsesaar"
    assert bygninger.match_header("kommentar") is None
    assert header_key("Målepunkt id") == "maalepunktid"


def test_kommunekode_is_a_four_character_string():
    assert canonical_kommunekode("101") == "0101"
    assert canonical_kommunekode("0101") == "0101"
    assert canonical_kommunekode("851") == "0851"
    assert canonical_kommunekode("12a") is None
    assert canonical_kommunekode("10101") is None
    # other scripts' digits are digits to Python's `\d`, never to a municipality code
    assert canonical_kommunekode("\u0660\u0661\u0660\u0661") is None
    assert canonical_kommunekode("\uff10\uff11\uff10\uff11") is None


def test_file_names_and_folders_name_their_dataset():
    assert dataset_for_file("bygninger.csv") == "bygninger"
    assert dataset_for_file("forbrug_el_2024.csv") == "forbrug"
    assert dataset_for_file("forbrug/571313104402686056.csv") == "forbrug"
    assert dataset_for_file("Maalere.CSV") == "maalere"
    assert dataset_for_file("noter.txt") is None


def test_code_lists_come_from_the_seeds_once():
    assert codes.codes("forsyningsart") == ("el", "fjernvarme", "naturgas", "olie", "vand")
    assert codes.code_lookup("enhed")["kwh"] == "kWh"
    assert set(codes.units_by_supply()["el"]) == {"kWh", "MWh"}
    assert len(codes.codes("kommunekode")) == 98
    assert "0411" not in codes.codes("kommunekode")  # Christiansø is not a municipality
