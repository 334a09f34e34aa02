-- One row per kommunekode × aar × maaler_id × bygning_id: which building a meter serves, with which
-- share and in which active period (as instants, clipped to the year). From `maalere` where the meter is
-- registered there, else from the building named in `forbrug` (share 1, the whole year).
with

maalere as (
    select * from {{ ref('stg_raw__maalere') }}
),

forbrug as (
    select distinct kommunekode, aar, maaler_id, bygning_id, forsyningsart
    from {{ ref('stg_raw__forbrug') }}
    where bygning_id is not null
),

fra_maalere as (
    select
        kommunekode, aar, maaler_id, bygning_id, forsyningsart,
        coalesce(andel, 1.0) as andel,
        cast(aktiv_fra as timestamp) as aktiv_fra_lokal,
        cast(aktiv_til as timestamp) + interval 1 day as aktiv_til_lokal
    from maalere
),

fra_forbrug as (
    select
        f.kommunekode, f.aar, f.maaler_id, f.bygning_id, f.forsyningsart,
        1.0 as andel,
        cast(null as timestamp) as aktiv_fra_lokal,
        cast(null as timestamp) as aktiv_til_lokal
    from forbrug as f
    where not exists (
        select 1 from maalere as m
        where m.kommunekode = f.kommunekode and m.aar = f.aar and m.maaler_id = f.maaler_id
    )
),

samlet as (
    select * from fra_maalere
    union all
    select * from fra_forbrug
),

final as (
    select
        kommunekode,
        aar,
        maaler_id,
        bygning_id,
        forsyningsart,
        andel,
        greatest(coalesce(cast(aktiv_fra_lokal as timestamptz), {{ year_start('aar') }}), {{ year_start('aar') }})
            as aktiv_fra_tid,
        least(coalesce(cast(aktiv_til_lokal as timestamptz), {{ year_end('aar') }}), {{ year_end('aar') }})
            as aktiv_til_tid
    from samlet
)

select * from final
