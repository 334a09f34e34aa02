"""bygninger: the years, the in-use period and the areas."""

from pipeline.validation.core import WARNING
from pipeline.validation.rules import DatasetRules, Rule, in_year

DATASET = "bygninger"
RATIO = "bruttodriftsareal_m2 / bbr_bygningsareal_m2"

RULES = DatasetRules(
    row=(
        Rule(
            "aar_efter_indberetning",
            "opfoerelsesaar",
            "opfoerelsesaar > $aar",
            "Opførelsesåret {} ligger efter indberetningsåret $aar.",
            ("opfoerelsesaar",),
        ),
        Rule(
            "ombygningsaar",
            "ombygningsaar",
            "ombygningsaar IS NOT NULL AND (ombygningsaar > $aar OR ombygningsaar < coalesce(opfoerelsesaar, 0))",
            "Ombygningsåret {} skal ligge mellem opførelsesåret og $aar.",
            ("ombygningsaar",),
        ),
        in_year("i_brug_fra"),
        in_year("i_brug_til"),
        Rule(
            "periode_omvendt",
            "i_brug_til",
            "i_brug_til < i_brug_fra",
            "Slutdatoen i_brug_til {} ligger før i_brug_fra {}.",
            ("i_brug_til__raw", "i_brug_fra__raw"),
        ),
        Rule(
            "bda_bbr_forhold",
            "bbr_bygningsareal_m2",
            f"bbr_bygningsareal_m2 > 0 AND bruttodriftsareal_m2 > 0 AND ({RATIO} < 0.7 OR {RATIO} > 1.5)",
            "Bruttodriftsarealet er {} gange BBR-arealet; forventet mellem 0,7 og 1,5. Kontrollér arealerne.",
            (f"replace(CAST(round({RATIO}, 2) AS VARCHAR), '.', ',')",),
            WARNING,
        ),
    ),
)
