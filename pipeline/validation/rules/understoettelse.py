"""understoettelse: one assessment per building, activity and method."""

from pipeline.validation.rules import DatasetRules, duplicates

DATASET = "understoettelse"

RULES = DatasetRules(
    cross=(
        duplicates(
            ["bygning_id", "aktivitet", "metode"],
            "metode",
            "Vurderingen af {} med metoden {} for bygning {}",
            ("aktivitet", "metode", "bygning_id"),
        ),
    ),
)
