"""Every dataset of the contract: a valid sample loads, and each rule has a file that breaks it and the exact
finding (rule, row, column)."""

from __future__ import annotations

import pytest
from test_validator import errors, validate

from pipeline.contract.datasets import DATASETS
from pipeline.contract.samples import sample_csv, sample_submission

B = "bygninger.csv"
BYG = "bygning_id;navn;anvendelseskode;bruttodriftsareal_m2;ejerforhold\nSKOLE-001;Skolen;421;1000;ejet\n"


def test_every_required_column_has_an_example():
    for ds in DATASETS.values():
        for c in ds.columns:
            assert not c.required or c.example, f"{ds.name}.{c.name} needs an example for the sample"


def test_the_sample_submission_with_every_dataset_is_accepted(mem, tmp_path):
    result, findings = validate(mem, tmp_path, sample_submission())
    assert not errors(findings), errors(findings)
    for name, c in result.counts.items():
        assert (c.received, c.accepted) == (1, 1), name


@pytest.mark.parametrize("name", [n for n in DATASETS if n != "bygninger"])
def test_each_sample_alone_with_its_building(mem, tmp_path, name):
    files = {"bygninger.csv": sample_csv(DATASETS["bygninger"]), f"{name}.csv": sample_csv(DATASETS[name])}
    if name == "forbrug":
        files["maalere.csv"] = sample_csv(DATASETS["maalere"])
    result, findings = validate(mem, tmp_path, files)
    assert not errors(findings)
    assert result.counts[name].accepted == 1


CASES = [
    # (file name, content, rule, row, column, severity)
    (
        "udgifter.csv",
        "bygning_id;kontogruppe;beloeb_kr\nSKOLE-001;rengoering;-500\n",
        "negativt_beloeb",
        2,
        "beloeb_kr",
        "advarsel",
    ),
    (
        "udgifter.csv",
        "bygning_id;kontogruppe;beloeb_kr\nSKOLE-001;kaffe;500\n",
        "ugyldig_vaerdi",
        2,
        "kontogruppe",
        "fejl",
    ),
    (
        "udgifter.csv",
        "bygning_id;kontogruppe;beloeb_kr\nSKOLE-001;rengoering;2000000000\n",
        "uden_for_regel",
        2,
        "beloeb_kr",
        "fejl",
    ),
    (
        "udgifter.csv",
        "bygning_id;kontogruppe;beloeb_kr\nANDEN;rengoering;5\n",
        "ukendt_bygning",
        2,
        "bygning_id",
        "fejl",
    ),
    (
        "vedligehold.csv",
        "bygning_id;bygningsdel;karakter;vurderingsdato\nSKOLE-001;tag;6;2024-01-01\n",
        "uden_for_regel",
        2,
        "karakter",
        "fejl",
    ),
    (
        "vedligehold.csv",
        "bygning_id;bygningsdel;karakter;vurderingsdato\nSKOLE-001;tag;2;2025-01-01\n",
        "efter_aaret",
        2,
        "vurderingsdato",
        "fejl",
    ),
    (
        "vedligehold.csv",
        "bygning_id;bygningsdel;karakter;vurderingsdato\nSKOLE-001;tag;2;2018-06-01\n",
        "for_gammel_vurdering",
        2,
        "vurderingsdato",
        "advarsel",
    ),
    (
        "vedligehold.csv",
        "bygning_id;bygningsdel;karakter;vurderingsdato\nSKOLE-001;tag;2;2024-01-01\n"
        "SKOLE-001;tag;3;2024-01-01\n",
        "dublet",
        2,
        "vurderingsdato",
        "fejl",
    ),
    (
        "indeklima_maalinger.csv",
        "bygning_id;lokale_id;tidspunkt;co2_ppm;temperatur_c\nSKOLE-001;A;2024-03-01 08:00;;\n",
        "maaling_mangler",
        2,
        "co2_ppm",
        "fejl",
    ),
    (
        "indeklima_maalinger.csv",
        "bygning_id;lokale_id;tidspunkt;co2_ppm\nSKOLE-001;A;2023-12-31 23:50;900\n",
        "uden_for_aaret",
        2,
        "tidspunkt",
        "fejl",
    ),
    (
        "indeklima_maalinger.csv",
        "bygning_id;lokale_id;tidspunkt;co2_ppm\nSKOLE-001;A;2024-03-01 08:00;100\n",
        "uden_for_regel",
        2,
        "co2_ppm",
        "fejl",
    ),
    (
        "indeklima_maalinger.csv",
        "bygning_id;lokale_id;tidspunkt;co2_ppm;i_brug\nSKOLE-001;A;2024-03-01 08:00;900;måske\n",
        "ugyldig_vaerdi",
        2,
        "i_brug",
        "fejl",
    ),
    (
        "indeklima_vurderinger.csv",
        "bygning_id;lokale_id;karakter;metode;vurderingsdato\nSKOLE-001;A;2;gaet;2024-01-01\n",
        "ugyldig_vaerdi",
        2,
        "metode",
        "fejl",
    ),
    (
        "anvendelse.csv",
        "bygning_id;periode_fra;periode_til;timer_til_raadighed;timer_anvendt;metode\n"
        "SKOLE-001;2024-01-01;2024-06-30;100;120;booking\n",
        "over_raadighed",
        2,
        "timer_anvendt",
        "fejl",
    ),
    (
        "anvendelse.csv",
        "bygning_id;periode_fra;periode_til;timer_til_raadighed;timer_anvendt;metode\n"
        "SKOLE-001;2024-06-30;2024-01-01;100;10;booking\n",
        "periode_omvendt",
        2,
        "periode_til",
        "fejl",
    ),
    (
        "anvendelse.csv",
        "bygning_id;periode_fra;periode_til;timer_til_raadighed;timer_anvendt;metode\n"
        "SKOLE-001;2023-12-01;2024-01-31;100;10;sensor\n",
        "uden_for_aaret",
        2,
        "periode_fra",
        "fejl",
    ),
    (
        "anvendelse.csv",
        "bygning_id;lokale_id;periode_fra;periode_til;timer_til_raadighed;timer_anvendt;metode\n"
        "SKOLE-001;;2024-01-01;2024-06-30;100;10;booking\nSKOLE-001;A1;2024-03-01;2024-03-31;50;10;booking\n",
        "bygning_og_lokaler",
        2,
        "lokale_id",
        "fejl",
    ),
    (
        "udnyttelse.csv",
        "bygning_id;brugertype;kapacitet;brugere\nSKOLE-001;elev;0;10\n",
        "uden_for_regel",
        2,
        "kapacitet",
        "fejl",
    ),
    (
        "udnyttelse.csv",
        "bygning_id;brugertype;kapacitet;brugere\nSKOLE-001;elev;10;5\nSKOLE-001;elev;20;5\n",
        "dublet",
        2,
        "brugertype",
        "fejl",
    ),
    (
        "understoettelse.csv",
        "bygning_id;aktivitet;karakter;metode\nSKOLE-001;skole;5,5;faglig_vurdering\n",
        "uden_for_regel",
        2,
        "karakter",
        "fejl",
    ),
    (
        "understoettelse.csv",
        "bygning_id;aktivitet;karakter;antal_besvarelser;metode\nSKOLE-001;skole;2;0;brugerundersoegelse\n",
        "uden_for_regel",
        2,
        "antal_besvarelser",
        "fejl",
    ),
    (
        "forbrug.csv",
        "maaler_id;bygning_id;forsyningsart;periode_til;maengde;enhed;maaletype\n"
        "M;SKOLE-001;el;2024-02-01;10;kWh;aflaesning\nM;SKOLE-001;el;2024-03-01;20;kWh;aflaesning\n",
        "mangler_startaflaesning",
        2,
        "periode_til",
        "advarsel",
    ),
    (
        "forbrug.csv",
        "maaler_id;bygning_id;forsyningsart;periode_fra;periode_til;maengde;enhed\n"
        "M;SKOLE-001;el;2024-01-01;2025-06-01;10;kWh\n",
        "periode_for_lang",
        2,
        "periode_til",
        "fejl",
    ),
    (
        "bygninger_ekstra.csv",
        "bygning_id;navn;anvendelseskode;bruttodriftsareal_m2;ejerforhold;opfoerelsesaar\n"
        "X;x;421;10;ejet;2030\n",
        "aar_efter_indberetning",
        2,
        "opfoerelsesaar",
        "fejl",
    ),
    (
        "bygninger_ekstra.csv",
        "bygning_id;navn;anvendelseskode;bruttodriftsareal_m2;ejerforhold;bbr_bygningsareal_m2\n"
        "X;x;421;1000;ejet;500\n",
        "bda_bbr_forhold",
        2,
        "bbr_bygningsareal_m2",
        "advarsel",
    ),
    (
        "bygninger_ekstra.csv",
        "bygning_id;navn;anvendelseskode;bruttodriftsareal_m2;ejerforhold;lat\nX;x;421;1000;ejet;60,1\n",
        "uden_for_regel",
        2,
        "lat",
        "fejl",
    ),
    (
        "bygninger_ekstra.csv",
        "bygning_id;navn;anvendelseskode;bruttodriftsareal_m2;ejerforhold;postnummer\n"
        "X;x;421;1000;ejet;0500\n",
        "uden_for_regel",
        2,
        "postnummer",
        "fejl",
    ),
    (
        "bygninger_ekstra.csv",
        "bygning_id;navn;anvendelseskode;bruttodriftsareal_m2;ejerforhold;bbr_id\n"
        "X;x;421;1000;ejet;ikke-en-uuid\n",
        "uden_for_regel",
        2,
        "bbr_id",
        "fejl",
    ),
    (
        "bygninger_ekstra.csv",
        "bygning_id;navn;anvendelseskode;bruttodriftsareal_m2;ejerforhold;i_brug_fra\n"
        "X;x;421;1000;ejet;2023-05-01\n",
        "uden_for_aaret",
        2,
        "i_brug_fra",
        "fejl",
    ),
]


@pytest.mark.parametrize(
    ("fil", "content", "regel", "raekke", "kolonne", "alvorlighed"),
    CASES,
    ids=[f"{c[0].split('.')[0]}-{c[2]}-{c[4]}" for c in CASES],
)
def test_each_rule_has_its_finding(mem, tmp_path, fil, content, regel, raekke, kolonne, alvorlighed):
    _, findings = validate(mem, tmp_path, {B: BYG, fil: content})
    hits = [f for f in findings if f["regel"] == regel and f["fil"] == fil]
    assert hits, findings
    f = hits[0]
    assert (f["raekke"], f["kolonne"], f["alvorlighed"]) == (raekke, kolonne, alvorlighed)
    assert f["besked"][0].isupper() and f["besked"].endswith(".")  # a Danish sentence
