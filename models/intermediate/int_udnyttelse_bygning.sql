-- One row per kommunekode × aar × bygning_id with rows for the primary user type of the building's sektor
-- (seed sektorer): users and capacity.
with

udnyttelse as (
    select * from {{ ref('stg_raw__udnyttelse') }}
),

bygninger as (
    select kommunekode, aar, bygning_id, sektor from {{ ref('int_bygninger_aar') }}
),

sektorer as (
    select kode as sektor, primaer_brugertype from {{ ref('sektorer') }}
),

final as (
    select
        u.kommunekode,
        u.aar,
        u.bygning_id,
        any_value(s.primaer_brugertype) as brugertype,
        sum(u.brugere) as brugere,
        sum(u.kapacitet) as kapacitet
    from udnyttelse as u
    inner join bygninger as b using (kommunekode, aar, bygning_id)
    inner join sektorer as s on s.sektor = b.sektor and s.primaer_brugertype = u.brugertype
    group by all
)

select * from final
