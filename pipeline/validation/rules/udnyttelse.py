"""udnyttelse: one row per building and user type."""

from pipeline.validation.rules import DatasetRules, duplicates

DATASET = "udnyttelse"

RULES = DatasetRules(
    cross=(
        duplicates(
            ["bygning_id", "brugertype"],
            "brugertype",
            "Brugertypen {} for bygning {}",
            ("brugertype", "bygning_id"),
        ),
    ),
)
