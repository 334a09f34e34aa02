-- One row per municipality (the 98; Christiansø is not one).
with

kommuner as (
    select * from {{ ref('kommuner') }}
),

final as (
    select
        kommunekode,
        kommunenavn,
        region,
        regionskode,
        model_version
    from kommuner
)

select * from final
