-- One row per kommunekode × aar × bygning_id with usage rows (building- or room-level): hours available,
-- used and booked (booked only over the rows that report it).
with

anvendelse as (
    select * from {{ ref('stg_raw__anvendelse') }}
),

final as (
    select
        kommunekode,
        aar,
        bygning_id,
        {{ exact_sum('timer_til_raadighed') }} as timer_til_raadighed,
        {{ exact_sum('timer_anvendt') }} as timer_anvendt,
        {{ exact_sum('timer_booket') }} as timer_booket,
        {{ exact_sum('case when timer_booket is not null then timer_til_raadighed end') }}
            as timer_til_raadighed_med_booking,
        100.0 * {{ exact_sum('timer_anvendt') }} / {{ exact_sum('timer_til_raadighed') }} as anvendelsesgrad_pct,
        100.0 * {{ exact_sum('timer_booket') }}
            / {{ exact_sum('case when timer_booket is not null then timer_til_raadighed end') }}
            as bookingsgrad_pct
    from anvendelse
    group by all
)

select * from final
