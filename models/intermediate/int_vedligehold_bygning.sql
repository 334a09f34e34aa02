-- One row per kommunekode × aar × bygning_id with usable assessments: the weighted condition grade
-- Σ wᵢ·gᵢ / Σ wᵢ over the assessed parts, and the assessed share of all weight. The grade is null when the
-- assessed weight is below 50 % of all weight.
with

gaeldende as (
    select * from {{ ref('int_vedligehold_gaeldende') }}
),

dele as (
    select kode as bygningsdel, vaegt from {{ ref('bygningsdele') }}
),

total as (
    select {{ exact_sum('vaegt') }} as vaegt_i_alt from dele
),

final as (
    select
        g.kommunekode,
        g.aar,
        g.bygning_id,
        {{ exact_sum('d.vaegt * g.karakter') }} / {{ exact_sum('d.vaegt') }} as vaegtet_karakter,
        100.0 * {{ exact_sum('d.vaegt') }} / any_value(t.vaegt_i_alt) as vurderet_vaegt_pct,
        case
            when {{ exact_sum('d.vaegt') }} >= 0.5 * any_value(t.vaegt_i_alt)
                then {{ exact_sum('d.vaegt * g.karakter') }} / {{ exact_sum('d.vaegt') }}
        end as vedligeholdelsestilstand
    from gaeldende as g
    inner join dele as d on d.bygningsdel = g.bygningsdel
    cross join total as t
    group by all
)

select * from final
