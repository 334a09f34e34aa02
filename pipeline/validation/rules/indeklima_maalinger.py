"""indeklima_maalinger: a measurement in every row, its instant inside the year, one per room and instant."""

from pipeline.validation.parsing import add_instant
from pipeline.validation.rules import DatasetRules, Rule, duplicates

DATASET = "indeklima_maalinger"

RULES = DatasetRules(
    derive=add_instant("tidspunkt", "bygning_id, lokale_id", "tidspunkt_tid"),
    resolved=(("tidspunkt", "tidspunkt_tid"),),
    row=(
        Rule(
            "maaling_mangler",
            "co2_ppm",
            "co2_ppm__raw IS NULL AND temperatur_c__raw IS NULL",
            "Rækken har hverken co2_ppm eller temperatur_c; mindst én skal være udfyldt.",
            value="NULL",
        ),
        Rule(
            "uden_for_aaret",
            "tidspunkt",
            "tidspunkt_tid IS NOT NULL AND (tidspunkt_tid < $aar_start OR tidspunkt_tid >= $aar_slut)",
            "Tidspunktet {} ligger ikke i indberetningsåret $aar.",
            ("tidspunkt__raw",),
        ),
    ),
    cross=(
        duplicates(
            ["bygning_id", "lokale_id", "tidspunkt_tid"],
            "tidspunkt",
            "Målingen i lokale {} kl. {}",
            ("lokale_id", "tidspunkt__raw"),
        ),
    ),
)
