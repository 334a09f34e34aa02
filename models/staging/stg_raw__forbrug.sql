-- One row per accepted row of the ACTIVE version of each submission (kommunekode × aar).
with

source as (
    select * from {{ source('raw', 'forbrug') }}
),

active as (
    select kommunekode, aar, version from {{ source('audit', 'active_submissions') }}
),

final as (
    select
        kommunekode,
        aar,
        maaler_id,
        bygning_id,
        forsyningsart,
        periode_fra,
        periode_til,
        maengde,
        enhed,
        maaletype,
        version,
        kilde_fil,
        raekke
    from source
    where (kommunekode, aar, version) in (select (kommunekode, aar, version) from active)
)

select * from final
