"""maalere: the active period, and the shares of a meter (per active period) sum to 1."""

from pipeline.validation.rules import DatasetRules, KeyRule, Rule

DATASET = "maalere"
FROM = "coalesce(aktiv_fra, DATE '1900-01-01')"

RULES = DatasetRules(
    row=(
        Rule(
            "periode_omvendt",
            "aktiv_til",
            "aktiv_til < aktiv_fra",
            "Slutdatoen aktiv_til {} ligger før aktiv_fra.",
            ("aktiv_til__raw",),
        ),
    ),
    cross=(
        KeyRule(
            "andele_summer_ikke",
            "andel",
            f"""SELECT t._fil, t._row, s._sum FROM $t t JOIN (
                    SELECT maaler_id, {FROM} AS _fra, sum(coalesce(andel, 1)) AS _sum FROM $t
                    WHERE _skip IS NULL AND maaler_id IS NOT NULL
                    GROUP BY ALL HAVING abs(sum(coalesce(andel, 1)) - 1) > 0.001) s
                ON s.maaler_id = t.maaler_id AND s._fra = coalesce(t.aktiv_fra, DATE '1900-01-01')
                WHERE t._skip IS NULL""",
            "Andelene for måler '{}' summer til {}; forventet 1.",
            ("maaler_id", "_sum"),
        ),
    ),
)
