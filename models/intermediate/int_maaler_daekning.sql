-- One row per kommunekode × aar × bygning_id × maaler_id: the seconds the meter is expected to cover for the
-- building (its active periods for the building in the year and the building's in-use period) and the
-- seconds its periods cover for the building.
with

tilknytning as (
    select
        kommunekode, aar, bygning_id, maaler_id, forsyningsart,
        sum(greatest({{ seconds_between('aktiv_fra_tid', 'aktiv_til_tid') }}, 0)) as forventede_sekunder
    from {{ ref('int_maalere_tilknyttet') }}
    group by all
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
        t.forventede_sekunder,
        coalesce(d.daekkede_sekunder, 0) as daekkede_sekunder
    from tilknytning as t
    inner join forsyning as f on f.forsyningsart = t.forsyningsart
    left join daekket as d
        on d.kommunekode = t.kommunekode and d.aar = t.aar
        and d.bygning_id = t.bygning_id and d.maaler_id = t.maaler_id
)

select * from final
