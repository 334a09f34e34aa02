-- One row per kommunekode × aar × bygning_id × bygningsdel of the year's buildings: the assessment that counts
-- for the year — the latest dated on or before 31 December of the year, from this or an earlier submission of
-- the municipality, and at most 5 years old (dated on or after 31 December five years earlier). An assessment
-- of a building that is not in the year's master data counts for nothing.
with

vurderinger as (
    select * from {{ ref('stg_raw__vedligehold') }}
),

bygninger as (
    select kommunekode, aar, bygning_id from {{ ref('stg_raw__bygninger') }}
),

kandidater as (
    select
        a.kommunekode,
        a.aar,
        v.bygning_id,
        v.bygningsdel,
        v.karakter,
        v.vurderingsdato,
        v.aar as fra_indberetning_aar
    from bygninger as a
    inner join vurderinger as v on v.bygning_id = a.bygning_id and {{ carried_forward('a', 'v') }}
),

final as (
    select *
    from kandidater
    qualify row_number() over (
        partition by kommunekode, aar, bygning_id, bygningsdel
        order by vurderingsdato desc, fra_indberetning_aar desc, karakter desc
    ) = 1
)

select * from final
