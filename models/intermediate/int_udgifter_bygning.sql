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
        coalesce({{ exact_sum("case when g.noegletal_gruppe = 'drift' then u.beloeb_kr end") }}, 0) as drift_kr,
        coalesce({{ exact_sum("case when g.noegletal_gruppe = 'vedligehold' then u.beloeb_kr end") }}, 0)
            as vedligehold_kr,
        coalesce({{ exact_sum("case when u.kontogruppe = 'rengoering' then u.beloeb_kr end") }}, 0) as rengoering_kr,
        coalesce({{ exact_sum("case when g.noegletal_gruppe = 'forsyning' then u.beloeb_kr end") }}, 0)
            as forsyning_kr,
        {{ exact_sum('u.beloeb_kr') }} as samlet_kr
    from udgifter as u
    inner join grupper as g on g.kontogruppe = u.kontogruppe
    group by all
)

select * from final
