-- One row per kommunekode × aar × bygning_id, from that year's master data (the active version).
with

bygninger as (
    select * from {{ ref('int_bygninger_aar') }}
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
        er_sektor_udledt,
        ejerforhold,
        bruttodriftsareal_m2,
        bbr_bygningsareal_m2,
        opvarmet_areal_m2,
        opfoerelsesaar,
        ombygningsaar,
        i_brug_fra,
        i_brug_til,
        lat,
        lon,
        bda_m2,
        version as indberetning_version
    from bygninger
)

select * from final
