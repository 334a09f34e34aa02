-- One row per kommunekode × aar × bygning_id × forsyningsart × month: the calendarised consumption in
-- the month (local time), in kWh (el and heat) or m3 (water), meter shares applied.
with

kalender as (
    select * from {{ ref('int_forbrug_kalenderiseret') }}
),

forsyning as (
    select kode as forsyningsart, basisenhed from {{ ref('forsyningsarter') }}
),

final as (
    select
        k.kommunekode,
        k.aar,
        k.bygning_id,
        k.forsyningsart,
        k.maaned,
        {{ exact_sum('k.maengde') }} as maengde,
        f.basisenhed as enhed
    from kalender as k
    inner join forsyning as f on f.forsyningsart = k.forsyningsart
    group by all
)

select * from final
