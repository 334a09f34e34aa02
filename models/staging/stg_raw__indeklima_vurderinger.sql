-- GENERATED from pipeline/contract by `kkm2 generate` -- do not edit; a test fails when stale.
-- One row per accepted row of the ACTIVE version of each submission (kommunekode × aar).
with

source as (
    select * from {{ source('raw', 'indeklima_vurderinger') }}
    where {{ active_version() }}
),

final as (
    select
        kommunekode,
        aar,
        bygning_id,
        lokale_id,
        karakter,
        metode,
        vurderingsdato,
        version,
        kilde_fil,
        raekke
    from source
)

select * from final
