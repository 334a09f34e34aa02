"""forbrug: the supply type and unit against maalere, the period (its instants, length and order), overlapping
periods, decreasing registers, and what is received but not counted (outside the year, the building's in-use
period or the meter's active period; Eloverblik period totals that differ from their hours)."""

from pipeline.contract import codes as code_lists
from pipeline.settings import TIME_ZONE
from pipeline.validation.core import WARNING, da_number_sql, q, str_list
from pipeline.validation.parsing import instant, occurrences
from pipeline.validation.rules import DatasetRules, FileRule, KeyRule, Rule

DATASET = "forbrug"
TZ = f"coalesce(_tz, {q(TIME_ZONE)})"
UNITS = code_lists.units_by_supply()
UNITS_MAP = "MAP {" + ", ".join(f"{q(s)}: {str_list(us)}" for s, us in UNITS.items()) + "}"
FITS = f"coalesce(list_contains({UNITS_MAP}[forsyningsart_r], enhed), false)"
UNITS_TEXT = (
    "CASE forsyningsart_r "
    + " ".join(f"WHEN {q(s)} THEN {q(', '.join(us))}" for s, us in UNITS.items())
    + " END"
)
DAY_START = "CAST(CAST({} AS TIMESTAMP) AS TIMESTAMPTZ)"
DAY_END = "CAST(CAST({} AS TIMESTAMP) + INTERVAL 1 DAY AS TIMESTAMPTZ)"

# The supply type from maalere where a row leaves it out, and each period's instants.
# INFORMATION_MODEL.md, Time: a row's end is its start plus its nominal length when the row is shorter than a
# day (so the repeated autumn hour does not overlap); the repeated hour is taken in file order for
# `periode_til` too (a register reading has no `periode_fra`); a date-only end is exclusive on the 1st of a
# month or at the same meter's next period start, else inclusive (end of that day). The windows run only over
# the rows that need them (ambiguous local times; meters with date-only ends): sorting every hourly reading
# cost 1 s per 880 000 rows.
DERIVE = f"""
    WITH amb AS ({occurrences("$t", "periode_fra", "maaler_id")}),
    amb_til AS ({occurrences("$t", "periode_til", "maaler_id")}),
    nxt AS (
        SELECT _fil, _row, lead(CAST(periode_fra AS DATE)) OVER (
                   PARTITION BY maaler_id ORDER BY periode_fra, _row) AS _next_fra_dato
        FROM $t WHERE maaler_id IN (SELECT maaler_id FROM $t WHERE periode_til__date_only)
    ),
    m AS (SELECT maaler_id, any_value(forsyningsart) AS forsyningsart FROM acc_maalere GROUP BY 1),
    fra AS (
        SELECT t.*,
               coalesce(t.forsyningsart, m.forsyningsart) AS forsyningsart_r,
               m.forsyningsart AS forsyningsart_m,
               m.maaler_id IS NOT NULL AS i_maalere,
               coalesce(t.maaletype, 'forbrug') AS maaletype_r,
               nxt._next_fra_dato,
               {instant("t.periode_fra", "coalesce(amb._occ, 1)")} AS fra_tid,
               {instant("t.periode_til", "coalesce(amb_til._occ, 1)")} AS _til_tid_lokal
        FROM $t t LEFT JOIN amb USING (_fil, _row) LEFT JOIN nxt USING (_fil, _row)
        LEFT JOIN amb_til USING (_fil, _row)
        LEFT JOIN m ON m.maaler_id = t.maaler_id
    )
    SELECT * EXCLUDE (_next_fra_dato, _til_tid_lokal),
           CASE WHEN periode_til__has_off THEN periode_til__inst_off
                WHEN periode_til IS NULL THEN NULL
                WHEN periode_til__date_only THEN timezone({TZ},
                     CASE WHEN day(periode_til) = 1 OR CAST(periode_til AS DATE) = _next_fra_dato
                          THEN periode_til ELSE periode_til + INTERVAL 1 DAY END)
                WHEN fra_tid IS NOT NULL AND NOT periode_fra__date_only AND NOT periode_fra__has_off
                     AND periode_til > periode_fra AND periode_til - periode_fra < INTERVAL 1 DAY
                     THEN fra_tid + (periode_til - periode_fra)
                ELSE _til_tid_lokal END AS til_tid
    FROM fra
"""

# Two periods of the same meter that overlap are both rejected. A meter whose periods lie on one grid (one
# length, every start a whole number of lengths from the first) overlaps only where two periods start at the
# same instant; its starts are counted in a bitmap (no sort). Only the other meters' periods are sorted.
GRID_SLOTS = 60_000  # a ten-minute series over a year has 52 704 slots; a longer series is sorted
OVERLAPS = f"""
    WITH c AS MATERIALIZED (
        SELECT _fil, _row, maaler_id, epoch_us(fra_tid) AS _s, epoch_us(til_tid) AS _e FROM $c c
        WHERE maaletype_r = 'forbrug' AND fra_tid < til_tid),
    g AS (
        SELECT maaler_id, min(_s) AS _s0, min(_e - _s) AS _d FROM c GROUP BY 1
        HAVING min(_e - _s) = max(_e - _s) AND min(_s % (_e - _s)) = max(_s % (_e - _s))
           AND (max(_s) - min(_s)) // min(_e - _s) < {GRID_SLOTS}),
    distinct_starts AS (
        SELECT maaler_id FROM c JOIN g USING (maaler_id) GROUP BY maaler_id
        HAVING bit_count(bitstring_agg(CAST((_s - _s0) // _d AS INTEGER), 0, {GRID_SLOTS})) = count(*)),
    w AS (
        SELECT _fil, _row, _s, _e,
               max(_e) OVER (PARTITION BY maaler_id ORDER BY _s, _fil, _row
                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_max_e,
               lead(_s) OVER (PARTITION BY maaler_id ORDER BY _s, _fil, _row) AS next_s
        FROM c WHERE maaler_id NOT IN (SELECT maaler_id FROM distinct_starts)
    )
    SELECT _fil, _row FROM w WHERE _s < prev_max_e OR next_s < _e
"""

RULES = DatasetRules(
    derive=DERIVE,
    resolved=(("forsyningsart", "forsyningsart_r"), ("periode_fra", "fra_tid"), ("periode_til", "til_tid")),
    row=(
        Rule(
            "maaler_uden_bygning",
            "bygning_id",
            "bygning_id__raw IS NULL AND maaler_id IS NOT NULL AND NOT i_maalere",
            "Måler '{}' har ingen bygning_id og står ikke i maalere; angiv bygning_id eller tilføj måleren i "
            "maalere.",
            ("maaler_id",),
            value="maaler_id",
        ),
        Rule(
            "forsyningsart_mangler",
            "forsyningsart",
            "forsyningsart__raw IS NULL AND forsyningsart_r IS NULL AND maaler_id IS NOT NULL",
            "Forsyningsart mangler, og måleren står ikke i maalere.",
            value="NULL",
        ),
        Rule(
            "forsyningsart_modstrid",
            "forsyningsart",
            "forsyningsart IS NOT NULL AND forsyningsart_m IS NOT NULL AND forsyningsart <> forsyningsart_m",
            "Forsyningsart '{}' passer ikke med maalere, hvor måleren er '{}'.",
            ("forsyningsart", "forsyningsart_m"),
        ),
        Rule(
            "enhed_passer_ikke",
            "enhed",
            f"enhed IS NOT NULL AND forsyningsart_r IS NOT NULL AND NOT ({FITS})",
            "Enheden '{}' passer ikke til forsyningsart '{}'; forventet en af: {}.",
            ("enhed__raw", "forsyningsart_r", UNITS_TEXT),
        ),
        Rule(
            "paakraevet",
            "periode_fra",
            "periode_fra__raw IS NULL AND maaletype_r = 'forbrug'",
            "Værdi mangler i periode_fra; kun aflæsninger (maaletype = aflaesning) må udelade den.",
            value="NULL",
        ),
        Rule(
            "periode_omvendt",
            "periode_til",
            "fra_tid IS NOT NULL AND til_tid <= fra_tid",
            "Slutningen periode_til {} ligger ikke efter periode_fra {}.",
            ("periode_til__raw", "periode_fra__raw"),
        ),
        Rule(
            "periode_for_lang",
            "periode_til",
            # 366 days, in microseconds
            "fra_tid IS NOT NULL AND epoch_us(til_tid) - epoch_us(fra_tid) > 31622400000000",
            "Perioden {} – {} er længere end 366 dage.",
            ("periode_fra__raw", "periode_til__raw"),
        ),
    ),
    cross=(
        KeyRule(
            "overlappende_perioder",
            "periode_fra",
            OVERLAPS,
            "Overlappende perioder: perioden {} – {} for måler '{}' overlapper en anden periode for samme "
            "måler; begge er afvist.",
            ("periode_fra__raw", "periode_til__raw", "maaler_id"),
            value="periode_fra__raw || ' – ' || periode_til__raw",
        ),
        # INFORMATION_MODEL.md §3: a register that decreases rejects the interval that contains the decrease,
        # not the reading: the reading is the start of the next interval (the model counts no negative
        # difference). So the finding is a warning on the reading that ends the rejected interval.
        KeyRule(
            "faldende_taellerstand",
            "maengde",
            """SELECT _fil, _row FROM (
                   SELECT _fil, _row, maengde,
                          lag(maengde) OVER (PARTITION BY maaler_id ORDER BY til_tid, _fil, _row) AS prev
                   FROM $c c WHERE maaletype_r = 'aflaesning') WHERE maengde < prev""",
            "Tællerstanden {} er lavere end den forrige aflæsning: intervallet mellem de to aflæsninger er "
            "afvist og tælles ikke med; serien fortsætter fra denne aflæsning. Faldende tællerstand – "
            "målerskift? Brug et nyt maaler_id.",
            ("maengde__raw",),
            WARNING,
            when="EXISTS (SELECT 1 FROM $t WHERE maaletype_r = 'aflaesning')",
        ),
        # Register readings: without a reading at or before 1 January 00:00, the year's first interval is
        # missing (lower coverage); said per meter.
        FileRule(
            "mangler_startaflaesning",
            "periode_til",
            """SELECT maaler_id, min(_fil) AS fil, min(periode_til__raw) AS _forste, min(_row) AS raekke,
                      1 AS antal
               FROM $c c WHERE maaletype_r = 'aflaesning' GROUP BY maaler_id HAVING min(til_tid) > $aar_start""",
            "Måler '{}' har ingen aflæsning 1. januar $aar kl. 00:00 eller før (første: {}); forbruget fra "
            "årets start til første aflæsning mangler og sænker dækningen.",
            ("maaler_id", "_forste"),
            when="EXISTS (SELECT 1 FROM $t WHERE maaletype_r = 'aflaesning')",
        ),
        FileRule(
            "uden_for_aaret",
            None,
            """SELECT _fil AS fil, count(*) AS antal, min(_row) AS raekke FROM $c c
               WHERE maaletype_r = 'forbrug' AND (fra_tid < $aar_start OR til_tid > $aar_slut) GROUP BY 1""",
            "{} række(r) ligger helt eller delvis uden for $aar (første: række {}); kun den del, der ligger i "
            "$aar, tælles med.",
            ("antal", "raekke"),
        ),
        # Consumption that is accepted but not counted, said per file (KEY_FIGURES.md, Coverage): the part of a
        # row outside its building's in-use period (i_brug_fra/i_brug_til), and a row that names a building
        # `maalere` registers the meter for, outside every active period of the meter for that building.
        FileRule(
            "uden_for_brugsperiode",
            None,
            f"""SELECT c._fil AS fil, count(*) AS antal, min(c._row) AS raekke FROM $c c
                JOIN acc_bygninger b ON b.bygning_id = c.bygning_id
                WHERE c.maaletype_r = 'forbrug' AND (
                      (b.i_brug_fra IS NOT NULL AND coalesce(c.fra_tid, c.til_tid) < {DAY_START.format("b.i_brug_fra")})
                   OR (b.i_brug_til IS NOT NULL AND c.til_tid > {DAY_END.format("b.i_brug_til")}))
                GROUP BY 1""",
            "{} række(r) ligger helt eller delvis uden for bygningens brugsperiode (i_brug_fra–i_brug_til i "
            "bygninger); kun den del, der ligger i brugsperioden, tælles med (første: række {}).",
            ("antal", "raekke"),
            when="EXISTS (SELECT 1 FROM acc_bygninger WHERE i_brug_fra IS NOT NULL OR i_brug_til IS NOT NULL)",
        ),
        FileRule(
            "uden_for_aktiv_periode",
            None,
            f"""SELECT c._fil AS fil, count(*) AS antal, min(c._row) AS raekke FROM $c c
                WHERE c.maaletype_r = 'forbrug' AND c.bygning_id__raw IS NOT NULL AND c.fra_tid IS NOT NULL
                  AND EXISTS (SELECT 1 FROM acc_maalere m
                              WHERE m.maaler_id = c.maaler_id AND m.bygning_id = c.bygning_id)
                  AND NOT EXISTS (
                      SELECT 1 FROM acc_maalere m
                      WHERE m.maaler_id = c.maaler_id AND m.bygning_id = c.bygning_id
                        AND (m.aktiv_fra IS NULL OR c.til_tid > {DAY_START.format("m.aktiv_fra")})
                        AND (m.aktiv_til IS NULL OR c.fra_tid < {DAY_END.format("m.aktiv_til")}))
                GROUP BY 1""",
            "{} række(r) nævner en bygning, som måleren ifølge maalere ikke betjente i rækkens periode "
            "(aktiv_fra–aktiv_til); de tælles ikke med (første: række {}).",
            ("antal", "raekke"),
            when="EXISTS (SELECT 1 FROM acc_maalere WHERE bygning_id IS NOT NULL)",
        ),
        # Skipped Eloverblik 'Måling' totals: warn where the hourly rows of the same period differ > 1 %.
        FileRule(
            "periodesum_afviger",
            "maengde",
            """WITH m AS (SELECT _fil, _row, maaler_id, fra_tid, til_tid, maengde, periode_fra__raw,
                                 periode_til__raw FROM $t WHERE _skip IS NOT NULL AND fra_tid < til_tid),
                    h AS (SELECT * FROM $c c WHERE maaletype_r = 'forbrug')
               SELECT m._fil AS fil, m._row AS raekke, 1 AS antal, m.periode_fra__raw AS _fra,
                      m.periode_til__raw AS _til, m.maengde AS _total, sum(h.maengde) AS _sum
               FROM m JOIN h ON h.maaler_id = m.maaler_id AND h.fra_tid >= m.fra_tid AND h.til_tid <= m.til_tid
               GROUP BY m._fil, m._row, m.periode_fra__raw, m.periode_til__raw, m.maengde
               HAVING abs(sum(h.maengde) - m.maengde) > 0.01 * m.maengde""",
            "Periodesummen {} for {} – {} afviger mere end 1 % fra summen af timeværdierne {}.",
            (da_number_sql("_total", 3), "_fra", "_til", da_number_sql("_sum", 3)),
            value=da_number_sql("_total", 3),
            when="EXISTS (SELECT 1 FROM $t WHERE _skip IS NOT NULL)",
        ),
    ),
)
