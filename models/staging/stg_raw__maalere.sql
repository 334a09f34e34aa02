-- GENERATED from pipeline/contract by `kkm2 generate` -- do not edit; a test fails when stale.
-- One row per accepted row of the ACTIVE version of each submission (kommunekode × aar).
with

source as (
    select * from {{ source('raw', 'maalere') }}
    where {{ active_version() }}
),

final as (
    select
        kommunekode,
        aar,
        maaler_id,
        bygning_id,
        forsyningsart,
        andel,
        aktiv_fra,
        aktiv_til,
        version,
        kilde_fil,
        raekke
    from source
)

select * from final
