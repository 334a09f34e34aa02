-- One row per kommunekode × aar × bygning_id × maaler_id: the seconds the meter is expected to cover
-- for the building (its active period in the year) and the seconds its periods cover.
with

tilknytning as (
    select * from {{ ref('int_maalere_tilknyttet') }}
),

daekket as (
    select kommunekode, aar, bygning_id, maaler_id, sum(daekkede_sekunder) as daekkede_sekunder
    from {{ ref('int_forbrug_kalenderiseret') }}
    group by all
),

forsyning as (
    select kode as forsyningsart, gruppe from {{ ref('forsyningsarter') }}
),

final as (
    select
        t.kommunekode,
        t.aar,
        t.bygning_id,
        t.maaler_id,
        t.forsyningsart,
        f.gruppe,
        greatest({{ seconds_between('t.aktiv_fra_tid', 't.aktiv_til_tid') }}, 0) as forventede_sekunder,
        coalesce(d.daekkede_sekunder, 0) as daekkede_sekunder
    from tilknytning as t
    inner join forsyning as f on f.forsyningsart = t.forsyningsart
    left join daekket as d
        on d.kommunekode = t.kommunekode and d.aar = t.aar
        and d.bygning_id = t.bygning_id and d.maaler_id = t.maaler_id
)

select * from final
