-- One row per kommunekode × aar × bygning_id with expense rows: the year's amounts per key-figure group.
-- A building with some rows has 0 for the groups it did not report; a building with none has no row here
-- (its expense figures are null).
with

udgifter as (
    select * from {{ ref('stg_raw__udgifter') }}
),

grupper as (
    select kode as kontogruppe, noegletal_gruppe from {{ ref('kontogrupper') }}
),

final as (
    select
        u.kommunekode,
        u.aar,
        u.bygning_id,
        coalesce(sum(u.beloeb_kr) filter (where g.noegletal_gruppe = 'drift'), 0) as drift_kr,
        coalesce(sum(u.beloeb_kr) filter (where g.noegletal_gruppe = 'vedligehold'), 0) as vedligehold_kr,
        coalesce(sum(u.beloeb_kr) filter (where u.kontogruppe = 'rengoering'), 0) as rengoering_kr,
        coalesce(sum(u.beloeb_kr) filter (where g.noegletal_gruppe = 'forsyning'), 0) as forsyning_kr,
        sum(u.beloeb_kr) as samlet_kr
    from udgifter as u
    inner join grupper as g on g.kontogruppe = u.kontogruppe
    group by all
)

select * from final
