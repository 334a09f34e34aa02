"""anvendelse: the period, hours within those available, and either rooms or the building for a period."""

from pipeline.validation.rules import DatasetRules, KeyRule, Rule, in_year

DATASET = "anvendelse"

RULES = DatasetRules(
    row=(
        in_year("periode_fra"),
        in_year("periode_til"),
        Rule(
            "periode_omvendt",
            "periode_til",
            "periode_til < periode_fra",
            "Slutdatoen periode_til {} ligger før periode_fra {}.",
            ("periode_til__raw", "periode_fra__raw"),
        ),
        *(
            Rule(
                "over_raadighed",
                col,
                f"{col} > timer_til_raadighed",
                f"Værdien {{}} i {col} er større end timer_til_raadighed {{}}.",
                (f"{col}__raw", "timer_til_raadighed__raw"),
            )
            for col in ("timer_booket", "timer_anvendt")
        ),
    ),
    cross=(
        # A building with room-level rows in a period must not also have building-level rows for it.
        KeyRule(
            "bygning_og_lokaler",
            "lokale_id",
            """SELECT b._fil, b._row FROM $t b WHERE b._skip IS NULL AND b.lokale_id IS NULL AND EXISTS (
                SELECT 1 FROM $t r WHERE r._skip IS NULL AND r.lokale_id IS NOT NULL
                AND r.bygning_id = b.bygning_id AND r.periode_fra <= b.periode_til
                AND r.periode_til >= b.periode_fra)""",
            "Bygning {} har lokalerækker for perioden {} – {}; bygningsrækken for samme periode er afvist (brug "
            "enten lokaler eller bygningen).",
            ("bygning_id", "periode_fra__raw", "periode_til__raw"),
            value="bygning_id__raw",
            when="EXISTS (SELECT 1 FROM $t WHERE lokale_id IS NOT NULL) AND "
            "EXISTS (SELECT 1 FROM $t WHERE lokale_id IS NULL)",
        ),
    ),
)
