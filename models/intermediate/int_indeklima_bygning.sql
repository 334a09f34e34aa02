-- One row per kommunekode × aar × bygning_id with indoor-climate data: the shares of occupied room-hours
-- outside the limits, pooled over the building's rooms (null below min_brugte_rumtimer occupied room-hours
-- with data of any kind, the building's one minimum), and the indoor-climate grade as the mean over rooms of
-- the room grade.
with

lokaler as (
    select * from {{ ref('int_indeklima_lokaler') }}
),

parametre as (
    select {{ parameter('min_brugte_rumtimer') }} as min_brugte_rumtimer
),

final as (
    select
        l.kommunekode,
        l.aar,
        l.bygning_id,
        sum(l.brugte_timer) as brugte_rumtimer,
        sum(l.co2_timer) as co2_rumtimer,
        sum(l.co2_timer_over) as co2_rumtimer_over,
        sum(l.temp_timer) as temp_rumtimer,
        sum(l.temp_timer_uden_for) as temp_rumtimer_uden_for,
        -- one minimum for the building: occupied room-hours with any data (KEY_FIGURES.md, Indoor climate);
        -- each share then over the room-hours with its own measurement (counts: `/` divides in double, where
        -- 100.0 would make Spark divide in DECIMAL)
        case when sum(l.brugte_timer) >= any_value(p.min_brugte_rumtimer)
            then 100 * sum(l.co2_timer_over) / nullif(sum(l.co2_timer), 0) end as andel_timer_co2_over_1000,
        case when sum(l.brugte_timer) >= any_value(p.min_brugte_rumtimer)
            then 100 * sum(l.temp_timer_uden_for) / nullif(sum(l.temp_timer), 0) end
            as andel_timer_temp_uden_for_20_26,
        avg(l.rum_karakter) as indeklima_karakter,
        count(l.rum_karakter) as antal_lokaler_med_karakter
    from lokaler as l
    cross join parametre as p
    group by all
)

select * from final
