"""indeklima_vurderinger: the assessment date."""

from pipeline.validation.rules import DatasetRules, date_not_after_year

DATASET = "indeklima_vurderinger"

RULES = DatasetRules(row=date_not_after_year("vurderingsdato"))
