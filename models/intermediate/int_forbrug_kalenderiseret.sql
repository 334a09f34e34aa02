{{ config(
    materialized=incremental_by_submission_materialization(),
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_changed_submissions('forbrug') }}",
    post_hook="{{ remove_inactive_versions() }}",
) }}
-- Incremental by municipality × year: only submissions whose active version changed are recomputed.
-- One row per kommunekode × aar × bygning_id × maaler_id × month (local time) inside the reporting year:
-- each period's amount split over the real seconds it covers. A row that names its building counts for that
-- building only; a row that names none counts for the buildings `maalere` maps the meter to at that time.
-- Either way the meter's share for the building applies (1 where `maalere` gives none), and only the part
-- inside the meter's active period for the building, the building's in-use period and the year counts
-- (int_maalere_tilknyttet).
with

perioder as (
    select * from {{ ref('int_forbrug_perioder') }}
    {% if is_incremental() %}
    where {{ changed_submissions('forbrug') }}
    {% endif %}
),

tilknytning as (
    select * from {{ ref('int_maalere_tilknyttet') }}
),

klippet as (
    select
        p.kommunekode,
        p.aar,
        p.version,
        t.bygning_id,
        p.maaler_id,
        p.forsyningsart,
        t.andel,
        p.maengde_basis,
        p.sekunder as periode_sekunder,
        greatest(p.fra_tid, t.aktiv_fra_tid) as start_tid,
        least(p.til_tid, t.aktiv_til_tid) as slut_tid
    from perioder as p
    inner join tilknytning as t
        on t.kommunekode = p.kommunekode and t.aar = p.aar and t.maaler_id = p.maaler_id
        and (p.bygning_id is null or p.bygning_id = t.bygning_id)
    where p.fra_tid < t.aktiv_til_tid and p.til_tid > t.aktiv_fra_tid
),

maaneder as (
    select
        *,
        {{ month_starts('start_tid', 'slut_tid') }} as maaned_tid
    from klippet
),

andele as (
    select
        *,
        {{ seconds_between('greatest(start_tid, maaned_tid)',
                           'least(slut_tid, maaned_tid + interval 1 month)') }} as sekunder
    from maaneder
),

final as (
    select
        kommunekode,
        aar,
        version,
        bygning_id,
        maaler_id,
        forsyningsart,
        cast(maaned_tid as date) as maaned,
        {{ exact_sum('maengde_basis * andel * sekunder / periode_sekunder') }} as maengde,
        sum(sekunder) as daekkede_sekunder
    from andele
    group by all
)

select * from final
