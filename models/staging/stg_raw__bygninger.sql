-- GENERATED from pipeline/contract by `kkm2 generate` -- do not edit; a test fails when stale.
-- One row per accepted row of the ACTIVE version of each submission (kommunekode × aar).
with

source as (
    select * from {{ source('raw', 'bygninger') }}
    where {{ active_version() }}
),

final as (
    select
        kommunekode,
        aar,
        bygning_id,
        bbr_id,
        bfe_nummer,
        ejendom_id,
        navn,
        adresse,
        postnummer,
        anvendelseskode,
        sektor,
        bruttodriftsareal_m2,
        bbr_bygningsareal_m2,
        opvarmet_areal_m2,
        opfoerelsesaar,
        ombygningsaar,
        ejerforhold,
        i_brug_fra,
        i_brug_til,
        lat,
        lon,
        version,
        kilde_fil,
        raekke
    from source
)

select * from final
