-- One row per kommunekode × aar with a population: inhabitants (FOLK1A, 1st quarter) and size band.
with

befolkning as (
    select kommunekode, aar, indbyggere from {{ source('reference', 'befolkning') }}
),

grupper as (
    select * from {{ ref('stoerrelsesgrupper') }}
),

final as (
    select b.kommunekode, b.aar, b.indbyggere, g.stoerrelse
    from befolkning as b
    inner join grupper as g on b.indbyggere between g.fra_indbyggere and g.til_indbyggere
)

select * from final
