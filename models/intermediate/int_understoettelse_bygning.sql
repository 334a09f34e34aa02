-- One row per kommunekode × aar × bygning_id with support ratings: the mean over the methods present of
-- the answer-weighted mean grade within each method (1 = best).
with

understoettelse as (
    select * from {{ ref('stg_raw__understoettelse') }}
),

pr_metode as (
    select
        kommunekode,
        aar,
        bygning_id,
        metode,
        {{ exact_sum('karakter * antal_besvarelser') }} / sum(antal_besvarelser) as karakter
    from understoettelse
    group by all
),

final as (
    select
        kommunekode,
        aar,
        bygning_id,
        {{ exact_avg('karakter') }} as understoettelsesgrad,
        count(*) as antal_metoder
    from pr_metode
    group by all
)

select * from final
