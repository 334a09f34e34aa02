-- One row per kommunekode × aar × bygning_id × noegletal with the building's value and the numerator and
-- denominator its municipality aggregation adds up (KEY_FIGURES.md, catalogue `aggregering`):
--   arealforhold, arealvaegtet_middel: Σ (value × bda) / Σ bda over buildings with the value
--   andel_areal_tilstand_4_5: 100 × Σ bda with grade ≥ 3.5 / Σ bda with a grade
--   puljede_rumtimer: 100 × Σ room-hours outside / Σ room-hours (buildings with the figure)
--   timeforhold: 100 × Σ hours used (booked) / Σ hours available (rows with booking)
--   brugerforhold: 100 × Σ users / Σ capacity;  areal_pr_bruger: Σ bda / Σ users (buildings with users)
-- `bda_m2` and `antal_bygninger` are sums; `m2_pr_indbygger` is added at municipality level.
with

bygning as (
    select * from {{ ref('mart_noegletal_bygning') }}
),

indeklima as (
    select * from {{ ref('int_indeklima_bygning') }}
),

anvendelse as (
    select * from {{ ref('int_anvendelse_bygning') }}
),

udnyttelse as (
    select * from {{ ref('int_udnyttelse_bygning') }}
),

base as (
    select
        b.*,
        i.co2_rumtimer, i.co2_rumtimer_over, i.temp_rumtimer, i.temp_rumtimer_uden_for,
        a.timer_til_raadighed, a.timer_anvendt, a.timer_booket, a.timer_til_raadighed_med_booking,
        u.brugere, u.kapacitet
    from bygning as b
    left join indeklima as i using (kommunekode, aar, bygning_id)
    left join anvendelse as a using (kommunekode, aar, bygning_id)
    left join udnyttelse as u using (kommunekode, aar, bygning_id)
),

lang as (
    {%- set area_weighted = [
        'driftsudgift_pr_m2', 'vedligeholdelsesudgift_pr_m2', 'rengoeringsudgift_pr_m2',
        'forsyningsudgift_pr_m2', 'samlet_udgift_pr_m2', 'el_kwh_pr_m2', 'varme_kwh_pr_m2',
        'varme_kwh_pr_m2_normaliseret', 'vand_m3_pr_m2', 'co2e_kg_pr_m2', 'vedligeholdelsestilstand',
        'indeklima_karakter', 'understoettelsesgrad'] %}
    {%- for f in area_weighted %}
    select kommunekode, aar, sektor, bygning_id, bda_m2, '{{ f }}' as noegletal, {{ f }} as vaerdi,
           {{ f }} * bda_m2 as taeller, bda_m2 as naevner
    from base where {{ f }} is not null
    union all
    {%- endfor %}
    select kommunekode, aar, sektor, bygning_id, bda_m2, 'antal_bygninger', 1.0, 1.0, null from base
    union all
    select kommunekode, aar, sektor, bygning_id, bda_m2, 'bda_m2', bda_m2, bda_m2, null from base
    union all
    select kommunekode, aar, sektor, bygning_id, bda_m2, 'andel_m2_tilstand_4_5', vedligeholdelsestilstand,
           case when vedligeholdelsestilstand >= 3.5 then 100.0 * bda_m2 else 0.0 end, bda_m2
    from base where vedligeholdelsestilstand is not null
    union all
    select kommunekode, aar, sektor, bygning_id, bda_m2, 'andel_timer_co2_over_1000', andel_timer_co2_over_1000,
           100.0 * co2_rumtimer_over, co2_rumtimer
    from base where andel_timer_co2_over_1000 is not null
    union all
    select kommunekode, aar, sektor, bygning_id, bda_m2, 'andel_timer_temp_uden_for_20_26',
           andel_timer_temp_uden_for_20_26, 100.0 * temp_rumtimer_uden_for, temp_rumtimer
    from base where andel_timer_temp_uden_for_20_26 is not null
    union all
    select kommunekode, aar, sektor, bygning_id, bda_m2, 'anvendelsesgrad_pct', anvendelsesgrad_pct,
           100.0 * timer_anvendt, timer_til_raadighed
    from base where anvendelsesgrad_pct is not null
    union all
    select kommunekode, aar, sektor, bygning_id, bda_m2, 'bookingsgrad_pct', bookingsgrad_pct,
           100.0 * timer_booket, timer_til_raadighed_med_booking
    from base where bookingsgrad_pct is not null
    union all
    select kommunekode, aar, sektor, bygning_id, bda_m2, 'udnyttelsesgrad_pct', udnyttelsesgrad_pct,
           100.0 * brugere, kapacitet
    from base where udnyttelsesgrad_pct is not null
    union all
    select kommunekode, aar, sektor, bygning_id, bda_m2, 'm2_pr_bruger', m2_pr_bruger, bda_m2, brugere
    from base where m2_pr_bruger is not null
),

final as (
    select kommunekode, aar, sektor, bygning_id, noegletal, bda_m2, vaerdi, taeller, naevner from lang
)

select * from final
