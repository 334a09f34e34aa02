"""udgifter: a negative amount is received, with a warning."""

from pipeline.validation.core import WARNING
from pipeline.validation.rules import DatasetRules, Rule

DATASET = "udgifter"

RULES = DatasetRules(
    row=(
        Rule(
            "negativt_beloeb",
            "beloeb_kr",
            "beloeb_kr < 0",
            "Negativt beløb {} (fx en refusion) er modtaget; kontrollér det.",
            ("beloeb_kr__raw",),
            WARNING,
        ),
    ),
)
