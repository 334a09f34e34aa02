-- One row per kommunekode × aar with a population (reference befolkning): inhabitants and size band.
with

kommune_aar as (
    select * from {{ ref('int_kommune_aar') }}
),

final as (
    select kommunekode, aar, indbyggere, stoerrelse from kommune_aar
)

select * from final
