"""vedligehold: the assessment date, and one grade per building part and date."""

from pipeline.validation.rules import DatasetRules, date_not_after_year, duplicates

DATASET = "vedligehold"

RULES = DatasetRules(
    row=date_not_after_year("vurderingsdato"),
    cross=(
        duplicates(
            ["bygning_id", "bygningsdel", "vurderingsdato"],
            "vurderingsdato",
            "Vurderingen af {} i bygning {} den {}",
            ("bygningsdel", "bygning_id", "vurderingsdato__raw"),
        ),
    ),
)
