-- One row per year with degree-day data: the year's degree days (null unless all 12 months are there) and
-- the normal year (the steward's override, else the shipped seed). reference.graddage has one row per month
-- across all degree-day files (pipeline/reference.py drops a month given with two values; the source tests it).
with

graddage as (
    select * from {{ source('reference', 'graddage') }}
),

normal as (
    select graddage, kilde from {{ source('reference', 'graddage_normalaar') }}
    union all
    select graddage, kilde from {{ ref('graddage_normalaar') }}
    where not exists (select 1 from {{ source('reference', 'graddage_normalaar') }})
),

final as (
    select
        cast(year(maaned) as integer) as aar,
        case when count(distinct month(maaned)) = 12 then {{ sum_in_order('graddage', 'maaned') }} end as graddage_aar,
        (select graddage from normal limit 1) as graddage_normal,
        (select kilde from normal limit 1) as graddage_normal_kilde
    from graddage
    group by 1
)

select * from final
