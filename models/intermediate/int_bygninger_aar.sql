-- One row per kommunekode × aar × bygning_id: the year's master data, sektor derived from the BBR use
-- code where blank, and bda_m2 = bruttodriftsareal × days in use / days in the year.
with

bygninger as (
    select * from {{ ref('stg_raw__bygninger') }}
),

anvendelse as (
    select anvendelseskode, sektor as sektor_fra_bbr from {{ ref('bbr_anvendelseskoder') }}
),

dage as (
    select
        b.*,
        a.sektor_fra_bbr,
        make_date(b.aar, 1, 1) as aar_start_dato,
        make_date(b.aar, 12, 31) as aar_slut_dato,
        {{ dbt.datediff('make_date(b.aar, 1, 1)', 'make_date(b.aar + 1, 1, 1)', 'day') }} as dage_i_aar,
        {{ dbt.datediff(
            'greatest(coalesce(b.i_brug_fra, make_date(b.aar, 1, 1)), make_date(b.aar, 1, 1))',
            'least(coalesce(b.i_brug_til, make_date(b.aar, 12, 31)), make_date(b.aar, 12, 31))',
            'day',
        ) }} + 1 as dage_i_brug
    from bygninger as b
    left join anvendelse as a on a.anvendelseskode = b.anvendelseskode
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
        coalesce(sektor, sektor_fra_bbr, 'oevrige') as sektor,
        sektor is null as er_sektor_udledt,
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
        dage_i_brug,
        dage_i_aar,
        bruttodriftsareal_m2 * greatest(dage_i_brug, 0) / dage_i_aar as bda_m2,
        version,
        kilde_fil,
        raekke
    from dage
)

select * from final
