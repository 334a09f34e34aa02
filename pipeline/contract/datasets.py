"""The ten datasets of submission contract v1 (INFORMATION_MODEL.md): columns, types, code lists and
the rules a column can state. Rules that cross rows or files live in pipeline/validation/rules/."""

from __future__ import annotations

import re

from pipeline.contract.model import Column, Dataset
from pipeline.text import fold

CONTRACT_VERSION = "1.0"


def bygning_ref(required: bool = True, help: str = "Skal findes i bygninger.", **kw) -> Column:
    """A `bygning_id` that must name an accepted building of the same submission ("ukendt bygning")."""
    return Column(
        "bygning_id",
        "text",
        required,
        "Bygnings-id",
        help,
        max_len=64,
        references="bygninger",
        example="SKOLE-001",
        **kw,
    )


def vurderingsdato(example: str) -> Column:
    """The date of an assessment; assessments carry forward at most 5 years (condition, indoor climate)."""
    return Column(
        "vurderingsdato",
        "date",
        True,
        "Vurderingsdato",
        "Højst 31. december i indberetningsåret. Vurderinger ældre end 5 år bruges ikke.",
        example=example,
    )


BYGNINGER = Dataset(
    name="bygninger",
    label="Bygninger (stamdata)",
    required=True,
    grain="Én række pr. bygning, der er i brug i året.",
    entity="bygning",
    columns=(
        Column(
            "bygning_id",
            "text",
            True,
            "Bygnings-id",
            "Kommunens egen, stabile id for bygningen. Unik i filen.",
            max_len=64,
            unique=True,
            example="SKOLE-001",
        ),
        Column(
            "bbr_id",
            "text",
            False,
            "BBR-id",
            "BBR-bygningens id_lokalId (UUID).",
            pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
            pattern_text="UUID-format (8-4-4-4-12 hextegn)",
            example="0a3f507b-4e55-32b8-e044-0003ba298018",
        ),
        Column(
            "bfe_nummer",
            "int",
            False,
            "BFE-nummer",
            "Ejendommens BFE-nummer.",
            min=0,
            min_exclusive=True,
            example="2081243",
        ),
        Column("ejendom_id", "text", False, "Ejendoms-id", "Samler bygninger i en ejendom."),
        Column("navn", "text", True, "Navn", "Bygningens navn.", example="Nordskolen, hovedbygning"),
        Column("adresse", "text", False, "Adresse", "Bygningens adresse.", example="Skolevej 1"),
        Column(
            "postnummer",
            "text",
            False,
            "Postnummer",
            "4 cifre, 0800–9999.",
            pattern=r"^(?:0[89]\d\d|[1-9]\d{3})$",
            pattern_text="4 cifre mellem 0800 og 9999",
            example="9000",
        ),
        Column(
            "anvendelseskode",
            "int",
            True,
            "BBR-anvendelseskode",
            "BBR byg021BygningensAnvendelse, fx 421 Grundskole.",
            codes="anvendelseskode",
            example="421",
        ),
        Column(
            "sektor",
            "code",
            False,
            "Sektor",
            "Kommunal sektor. Tom: udledes af anvendelseskoden.",
            codes="sektor",
            example="skole",
        ),
        Column(
            "bruttodriftsareal_m2",
            "dec",
            True,
            "Bruttodriftsareal (m²)",
            "Det areal kommunen driver (ejet, lejet eller selvejende) – ikke BBR-arealet.",
            unit="m²",
            min=0,
            max=200_000,
            min_exclusive=True,
            example="2.450,5",
            aliases=("bda_m2", "bda"),
        ),
        Column(
            "bbr_bygningsareal_m2",
            "dec",
            False,
            "BBR-bygningsareal (m²)",
            "BBR byg038 samlet bygningsareal. Advarsel hvis BDA / BBR-areal er uden for 0,7–1,5.",
            unit="m²",
            min=0,
            min_exclusive=True,
            example="2.300",
        ),
        Column(
            "opvarmet_areal_m2",
            "dec",
            False,
            "Opvarmet areal (m²)",
            "Opvarmet areal.",
            unit="m²",
            min=0,
            min_exclusive=True,
        ),
        Column(
            "opfoerelsesaar",
            "int",
            False,
            "Opførelsesår",
            "Mellem 1200 og indberetningsåret.",
            min=1200,
            example="1968",
        ),
        Column(
            "ombygningsaar",
            "int",
            False,
            "Ombygningsår",
            "Mellem opførelsesåret og indberetningsåret.",
            example="2005",
        ),
        Column(
            "ejerforhold",
            "code",
            True,
            "Ejerforhold",
            "ejet, lejet eller selvejende.",
            codes="ejerforhold",
            example="ejet",
        ),
        Column(
            "i_brug_fra",
            "date",
            False,
            "I brug fra",
            "Hvis bygningen er taget i brug i løbet af året (inden for året).",
            example="2024-02-01",
        ),
        Column(
            "i_brug_til",
            "date",
            False,
            "I brug til",
            "Hvis bygningen er taget ud af brug i løbet af året (inden for året).",
            example="2024-12-20",
        ),
        Column(
            "lat",
            "dec",
            False,
            "Breddegrad",
            "WGS84, inden for Danmark (54,5–57,8).",
            min=54.5,
            max=57.8,
            example="57,05",
        ),
        Column(
            "lon",
            "dec",
            False,
            "Længdegrad",
            "WGS84, inden for Danmark (8,0–15,3).",
            min=8.0,
            max=15.3,
            example="9,92",
        ),
    ),
)

MAALERE = Dataset(
    name="maalere",
    label="Målere",
    required=False,
    grain="Én række pr. måler pr. bygning.",
    entity="måler",
    depends_on=("bygninger",),
    columns=(
        Column(
            "maaler_id",
            "text",
            True,
            "Måler-id",
            "Målerens id, fx målepunkt-id (GSRN) fra Eloverblik.",
            example="571313104402686056",
            aliases=("maalepunkt_id", "maalepunktid"),
        ),
        bygning_ref(),
        Column(
            "forsyningsart",
            "code",
            True,
            "Forsyningsart",
            "el, fjernvarme, naturgas, olie eller vand.",
            codes="forsyningsart",
            example="el",
        ),
        Column(
            "andel",
            "dec",
            False,
            "Andel",
            "Den del af målerens forbrug, der hører til bygningen (0 < andel ≤ 1; standard 1). "
            "En måler, der deler flere bygninger, har én række pr. bygning, og andelene summer til 1.",
            min=0,
            max=1,
            min_exclusive=True,
            example="1",
        ),
        Column(
            "aktiv_fra",
            "date",
            False,
            "Aktiv fra",
            "Hvornår måleren begyndte at betjene bygningen (målerskift). Standard: hele året.",
        ),
        Column(
            "aktiv_til",
            "date",
            False,
            "Aktiv til",
            "Sidste dag måleren betjente bygningen (målerskift). Standard: hele året.",
        ),
    ),
)

FORBRUG = Dataset(
    name="forbrug",
    label="Forbrug (el, varme og vand)",
    required=False,
    grain="Én række pr. måler pr. periode (eller aflæsning).",
    entity="forbrugsrække",
    depends_on=("bygninger", "maalere"),
    columns=(
        Column(
            "maaler_id",
            "text",
            True,
            "Måler-id",
            "Målerens id.",
            example="571313104402686056",
            aliases=("maalepunkt_id", "maalepunktid"),
        ),
        bygning_ref(
            required=False,
            help="Skal findes i bygninger. Kan udelades, når måleren står i maalere.",
            required_text="påkrævet, medmindre måleren står i maalere",
        ),
        Column(
            "forsyningsart",
            "code",
            False,
            "Forsyningsart",
            "el, fjernvarme, naturgas, olie eller vand. Kan udelades, når måleren står i maalere.",
            codes="forsyningsart",
            required_text="påkrævet, medmindre måleren står i maalere",
            filled=True,
        ),
        Column(
            "periode_fra",
            "tsdate",
            False,
            "Periode fra",
            "Periodens start (dato eller tidspunkt; uden tidszone = dansk tid). Tom ved aflæsninger.",
            example="2024-02-01",  # inside the sample building's in-use period (i_brug_fra 2024-02-01)
            aliases=("fra_dato", "fra"),
            required_text="påkrævet, undtagen for aflæsninger",
        ),
        Column(
            "periode_til",
            "tsdate",
            True,
            "Periode til",
            "Periodens slut. En dato alene er eksklusiv, når den er den 1. i en måned eller lig "
            "med næste periodes start; ellers tæller hele dagen med.",
            example="2024-03-01",
            aliases=("til_dato", "til"),
        ),
        Column(
            "maengde",
            "dec",
            True,
            "Mængde",
            "Forbruget i perioden (eller tællerstanden).",
            min=0,
            example="1.234,5",
            aliases=("forbrug",),
        ),
        Column(
            "enhed",
            "code",
            True,
            "Enhed",
            "kWh, MWh, GJ, m3, liter eller Nm3 – skal passe til forsyningsarten.",
            codes="enhed",
            example="kWh",
            aliases=("maaleenhed",),
        ),
        Column(
            "maaletype",
            "code",
            False,
            "Måletype",
            "forbrug (standard: mængden brugt i perioden) eller aflaesning (tællerstanden ved periode_til).",
            codes="maaletype",
            example="forbrug",
            filled=True,
            default="forbrug",
        ),
    ),
)


UDGIFTER = Dataset(
    name="udgifter",
    label="Udgifter",
    required=False,
    grain="Én række pr. bygning × kontogruppe (× kildekonto) i året; beløb i kr. ekskl. moms, som bogført.",
    entity="udgiftsrække",
    depends_on=("bygninger",),
    columns=(
        bygning_ref(),
        Column(
            "kontogruppe",
            "code",
            True,
            "Kontogruppe",
            "Udgiftsgruppe efter KL's kontoplanmodel (foreløbig liste).",
            codes="kontogruppe",
            example="rengoering",
        ),
        Column(
            "kildekonto",
            "text",
            False,
            "Kildekonto",
            "Kommunens egen kontostreng (til sporbarhed).",
            example="3.22.01.1.4.5",
        ),
        Column(
            "beloeb_kr",
            "dec",
            True,
            "Beløb (kr.)",
            "Beløb i kr. ekskl. moms. Negative beløb (refusioner) er tilladt, men giver en advarsel.",
            unit="kr",
            min=-1_000_000_000,
            max=1_000_000_000,
            example="125.000,00",
            aliases=("beloeb", "beløb"),
        ),
    ),
)

VEDLIGEHOLD = Dataset(
    name="vedligehold",
    label="Vedligeholdelsestilstand",
    required=False,
    grain="Én række pr. bygning × bygningsdel × vurdering (karakter 1 = bedst, 5 = dårligst).",
    entity="vurdering",
    depends_on=("bygninger",),
    columns=(
        bygning_ref(),
        Column(
            "bygningsdel",
            "code",
            True,
            "Bygningsdel",
            "Bygningsdel (foreløbig liste).",
            codes="bygningsdel",
            example="tag",
        ),
        Column(
            "karakter",
            "int",
            True,
            "Karakter",
            "KL's tilstandskarakter 1–5, hvor 1 = bedst og 5 = dårligst.",
            min=1,
            max=5,
            example="2",
        ),
        vurderingsdato(example="2024-05-14"),
        Column("vurderet_af", "text", False, "Vurderet af", "Hvem vurderede (firma eller person)."),
    ),
)

INDEKLIMA_MAALINGER = Dataset(
    name="indeklima_maalinger",
    label="Indeklima – målinger",
    required=False,
    grain="Én række pr. lokale × tidspunkt.",
    entity="måling",
    depends_on=("bygninger",),
    columns=(
        bygning_ref(),
        Column("lokale_id", "text", True, "Lokale-id", "Lokalets id.", max_len=64, example="A1.12"),
        Column(
            "tidspunkt",
            "ts",
            True,
            "Tidspunkt",
            "Målingens tidspunkt i indberetningsåret (uden tidszone = dansk tid).",
            example="2024-03-01 08:10",
            aliases=("tid", "dato_tid"),
        ),
        Column(
            "co2_ppm",
            "dec",
            False,
            "CO2 (ppm)",
            "CO2-koncentration, 250–10.000 ppm.",
            unit="ppm",
            min=250,
            max=10_000,
            example="845",
            aliases=("co2",),
            required_text="co2_ppm eller temperatur_c skal være udfyldt",
        ),
        Column(
            "temperatur_c",
            "dec",
            False,
            "Temperatur (°C)",
            "Temperatur, −10 til 50 °C.",
            unit="°C",
            min=-10,
            max=50,
            example="21,4",
            aliases=("temperatur",),
            required_text="co2_ppm eller temperatur_c skal være udfyldt",
        ),
        Column(
            "relativ_fugtighed_pct",
            "dec",
            False,
            "Relativ fugtighed (%)",
            "0–100 %.",
            unit="%",
            min=0,
            max=100,
            example="38",
            aliases=("fugtighed",),
        ),
        Column(
            "i_brug",
            "bool",
            False,
            "I brug",
            "Om lokalet var i brug (ja/nej). Tom: hverdage 8–16 undtagen helligdage.",
            example="ja",
        ),
    ),
)

INDEKLIMA_VURDERINGER = Dataset(
    name="indeklima_vurderinger",
    label="Indeklima – vurderinger",
    required=False,
    grain="Én række pr. lokale × vurdering (KL's femtrinsskala, 1 = bedst).",
    entity="vurdering",
    depends_on=("bygninger",),
    columns=(
        bygning_ref(),
        Column("lokale_id", "text", True, "Lokale-id", "Lokalets id.", max_len=64, example="A1.12"),
        Column(
            "karakter",
            "int",
            True,
            "Karakter",
            "1–5, hvor 1 = bedst og 5 = dårligst.",
            min=1,
            max=5,
            example="2",
        ),
        Column(
            "metode",
            "code",
            True,
            "Metode",
            "maaling, screening eller brugerundersoegelse.",
            codes="indeklima_metode",
            example="screening",
        ),
        vurderingsdato(example="2024-02-01"),
    ),
)

ANVENDELSE = Dataset(
    name="anvendelse",
    label="Anvendelse",
    required=False,
    grain="Én række pr. bygning (eller lokale) × periode.",
    entity="anvendelsesrække",
    depends_on=("bygninger",),
    columns=(
        bygning_ref(),
        Column(
            "lokale_id",
            "text",
            False,
            "Lokale-id",
            "Udfyldt for lokaleniveau. En bygning med lokalerækker i en periode må ikke også have "
            "bygningsrækker for den.",
            max_len=64,
        ),
        Column(
            "periode_fra",
            "date",
            True,
            "Periode fra",
            "Inden for året (datoerne er inklusive).",
            example="2024-01-01",
        ),
        Column(
            "periode_til",
            "date",
            True,
            "Periode til",
            "Inden for året, ikke før periode_fra.",
            example="2024-06-30",
        ),
        Column(
            "timer_til_raadighed",
            "dec",
            True,
            "Timer til rådighed",
            "Åbnings- eller bookbare timer i perioden (> 0).",
            min=0,
            min_exclusive=True,
            example="1.040",
        ),
        Column(
            "timer_booket",
            "dec",
            False,
            "Timer booket",
            "0 ≤ timer_booket ≤ timer_til_raadighed.",
            min=0,
            example="800",
        ),
        Column(
            "timer_anvendt",
            "dec",
            True,
            "Timer anvendt",
            "Timer, hvor bygningen/lokalet faktisk blev brugt; 0 ≤ timer_anvendt ≤ timer_til_raadighed.",
            min=0,
            example="610",
        ),
        Column(
            "metode",
            "code",
            True,
            "Metode",
            "booking, sensor eller observation.",
            codes="anvendelse_metode",
            example="booking",
        ),
    ),
)

UDNYTTELSE = Dataset(
    name="udnyttelse",
    label="Udnyttelse",
    required=False,
    grain="Én række pr. bygning × brugertype.",
    entity="udnyttelsesrække",
    depends_on=("bygninger",),
    columns=(
        bygning_ref(),
        Column(
            "brugertype",
            "code",
            True,
            "Brugertype",
            "elev, barn, beboer, ansat eller bruger.",
            codes="brugertype",
            example="elev",
        ),
        Column(
            "kapacitet",
            "int",
            True,
            "Kapacitet",
            "Pladser efter normering (> 0).",
            min=0,
            min_exclusive=True,
            example="450",
        ),
        Column(
            "brugere",
            "int",
            True,
            "Brugere",
            "Det typiske antal i året, fx elevtal på tælledagen (≥ 0).",
            min=0,
            example="412",
        ),
    ),
)

UNDERSTOETTELSE = Dataset(
    name="understoettelse",
    label="Understøttelse af kerneopgaven",
    required=False,
    grain="Én række pr. bygning × aktivitet × metode (karakter 1 = bedst, 5 = dårligst).",
    entity="vurdering",
    depends_on=("bygninger",),
    columns=(
        bygning_ref(),
        Column(
            "aktivitet",
            "code",
            True,
            "Aktivitet",
            "Kerneopgaven, som en sektor (fx skole).",
            codes="sektor",
            example="skole",
        ),
        Column(
            "karakter",
            "dec",
            True,
            "Karakter",
            "1,0–5,0 hvor 1 = bedst og 5 = dårligst. OBS: mange spørgeskemaer bruger 5 = bedst – vend "
            "skalaen før indsendelse.",
            min=1,
            max=5,
            example="2,4",
        ),
        Column(
            "antal_besvarelser",
            "int",
            False,
            "Antal besvarelser",
            "≥ 1; standard 1.",
            min=1,
            example="38",
            filled=True,
            default="1",
        ),
        Column(
            "metode",
            "code",
            True,
            "Metode",
            "brugerundersoegelse eller faglig_vurdering.",
            codes="understoettelse_metode",
            example="brugerundersoegelse",
        ),
    ),
)

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        BYGNINGER,
        UDGIFTER,
        FORBRUG,
        MAALERE,
        VEDLIGEHOLD,
        INDEKLIMA_MAALINGER,
        INDEKLIMA_VURDERINGER,
        ANVENDELSE,
        UDNYTTELSE,
        UNDERSTOETTELSE,
    )
}


# Validation order: a dataset's rules may read the accepted rows of the datasets it depends on.
def _dependency_order() -> tuple[str, ...]:
    """Each dataset after the datasets its rules read (`depends_on`), otherwise in contract order."""
    done: list[str] = []
    while len(done) < len(DATASETS):
        ready = next(n for n, d in DATASETS.items() if n not in done and set(d.depends_on) <= set(done))
        done.append(ready)
    return tuple(done)


VALIDATION_ORDER: tuple[str, ...] = _dependency_order()


def get_dataset(name: str) -> Dataset:
    return DATASETS[name]


def dataset_for_file(relpath: str) -> str | None:
    """The dataset a file belongs to: its name, or the folder directly below `<aar>/`, starts with the
    dataset's name (`bygninger.xlsx`, `forbrug_el_2024.csv`, `forbrug/5713...csv`). Longest name wins."""
    first = fold(re.split(r"[\\/]", relpath)[0])
    for name in sorted(DATASETS, key=len, reverse=True):
        if first.startswith(name):
            return name
    return None
