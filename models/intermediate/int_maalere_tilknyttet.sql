-- One row per kommunekode × aar × maaler_id × bygning_id × active period: which building a meter serves,
-- with which share and when (instants), clipped to the year and to the building's in-use period
-- (i_brug_fra/i_brug_til; KEY_FIGURES.md, Coverage). The meter's expected hours for the building are this
-- period, and only consumption inside it counts for the building.
-- From `maalere` where it registers the meter for the building. Otherwise from the buildings `forbrug`
-- names for the meter (share 1): a meter that names one building serves it the whole year; a meter whose
-- rows name several buildings in turn (it moved) serves each from the start of that building's first row
-- in a run to the start of the next building's run (the first run from 1 January, the last to 31
-- December), so each building expects only its own part of the year.
with

maalere as (
    select * from {{ ref('stg_raw__maalere') }}
),

bygninger as (
    select kommunekode, aar, bygning_id, i_brug_fra, i_brug_til from {{ ref('int_bygninger_aar') }}
),

navngivet as (
    select kommunekode, aar, maaler_id, bygning_id, any_value(forsyningsart) as forsyningsart
    from {{ ref('stg_raw__forbrug') }}
    where bygning_id is not null
    group by all
),

-- (meter, building) pairs named in forbrug that maalere does not register
uden_maalere as (
    select n.*
    from navngivet as n
    where not exists (
        select 1 from maalere as m
        where m.kommunekode = n.kommunekode and m.aar = n.aar and m.maaler_id = n.maaler_id
            and m.bygning_id = n.bygning_id
    )
),

flyttet as (
    select kommunekode, aar, maaler_id from navngivet group by all having count(*) > 1
),

-- runs of consecutive rows naming the same building, only for meters that name several
skift as (
    select
        p.kommunekode, p.aar, p.maaler_id, p.bygning_id, p.fra_tid,
        -- the first row of a meter has no previous building (null): a run starts (the rows have a building)
        coalesce(p.bygning_id <> lag(p.bygning_id) over (
            partition by p.kommunekode, p.aar, p.maaler_id order by p.fra_tid, p.til_tid
        ), true) as ny_run
    from {{ ref('int_forbrug_perioder') }} as p
    inner join flyttet as f using (kommunekode, aar, maaler_id)
    where p.bygning_id is not null
),

runs as (
    select
        kommunekode, aar, maaler_id, bygning_id, fra_tid as run_start,
        row_number() over (partition by kommunekode, aar, maaler_id order by fra_tid) as nr,
        lead(fra_tid) over (partition by kommunekode, aar, maaler_id order by fra_tid) as naeste_start
    from skift
    where ny_run
),

fra_maalere as (
    select
        kommunekode, aar, maaler_id, bygning_id, forsyningsart,
        coalesce(andel, 1.0) as andel,
        {{ date_start('aktiv_fra') }} as fra_tid,
        {{ date_start('aktiv_til', days=1) }} as til_tid,
        'maalere' as kilde
    from maalere
),

fra_forbrug as (
    select
        u.kommunekode, u.aar, u.maaler_id, u.bygning_id, u.forsyningsart,
        1.0 as andel,
        case when r.nr > 1 then r.run_start end as fra_tid,
        r.naeste_start as til_tid,
        'forbrug' as kilde
    from uden_maalere as u
    left join runs as r using (kommunekode, aar, maaler_id, bygning_id)
),

samlet as (
    select * from fra_maalere
    union all
    select * from fra_forbrug
),

final as (
    select
        s.kommunekode,
        s.aar,
        s.maaler_id,
        s.bygning_id,
        s.forsyningsart,
        s.andel,
        greatest(
            coalesce(s.fra_tid, {{ year_start('s.aar') }}),
            coalesce({{ date_start('b.i_brug_fra') }}, {{ year_start('s.aar') }}),
            {{ year_start('s.aar') }}
        ) as aktiv_fra_tid,
        least(
            coalesce(s.til_tid, {{ year_end('s.aar') }}),
            coalesce({{ date_start('b.i_brug_til', days=1) }}, {{ year_end('s.aar') }}),
            {{ year_end('s.aar') }}
        ) as aktiv_til_tid,
        s.kilde
    from samlet as s
    left join bygninger as b using (kommunekode, aar, bygning_id)
)

select * from final
