-- One row per kommunekode × aar × sektor (each sektor and `alle`) × noegletal: the municipality's value,
-- aggregated as the catalogue says (dim_noegletal.aggregering; the numerator and denominator of each building
-- come from fct_noegletal_bygning), with its coverage (area of buildings with the input / all area of the
-- municipality and sektor), the number of buildings with data, and whether it enters the benchmarks
-- (coverage ≥ the parameter `benchmark_min_daekning_pct`, seed parametre). A building missing an input is
-- left out of numerator and denominator.
with

katalog as (
    select noegletal, enhed, aggregering from {{ ref('dim_noegletal') }}
),

lang as (
    select * from {{ ref('fct_noegletal_bygning') }}
),

med_alle as (
    select * from lang
    union all
    select kommunekode, aar, 'alle' as sektor, bygning_id, noegletal, aggregering, bda_m2, vaerdi, taeller, naevner
    from lang
),

bygninger as (
    select kommunekode, aar, sektor, bda_m2 from {{ ref('mart_noegletal_bygning') }}
),

-- all buildings of the municipality and sektor
areal as (
    select kommunekode, aar, sektor, {{ exact_sum('bda_m2') }} as areal_i_alt, count(*) as antal_bygninger
    from (
        select * from bygninger
        union all
        select kommunekode, aar, 'alle' as sektor, bda_m2 from bygninger
    )
    group by all
),

aggregeret as (
    select
        kommunekode,
        aar,
        sektor,
        noegletal,
        case
            when aggregering in ('antal', 'sum') then {{ exact_sum('taeller') }}
            else {{ exact_sum('taeller') }} / nullif({{ exact_sum('naevner') }}, 0)
        end as vaerdi,
        {{ exact_sum('bda_m2') }} as areal_med_data,
        count(*) as antal_bygninger_med_data
    from med_alle
    group by kommunekode, aar, sektor, noegletal, aggregering
),

befolkning as (
    select kommunekode, aar, indbyggere from {{ source('reference', 'befolkning') }}
),

-- the figures aggregated over the municipality's inhabitants: Σ bda_m2 of sektor `alle` / indbyggere
pr_indbygger as (
    select
        a.kommunekode, a.aar, 'alle' as sektor, k.noegletal,
        a.areal_i_alt / b.indbyggere as vaerdi,
        a.areal_i_alt as areal_med_data,
        a.antal_bygninger as antal_bygninger_med_data
    from areal as a
    inner join befolkning as b using (kommunekode, aar)
    inner join katalog as k on k.aggregering = 'areal_pr_indbygger'
    where a.sektor = 'alle' and b.indbyggere > 0
),

samlet as (
    select * from aggregeret
    union all
    select * from pr_indbygger
),

final as (
    select
        s.kommunekode,
        s.aar,
        s.sektor,
        s.noegletal,
        s.vaerdi,
        k.enhed,
        100.0 * s.areal_med_data / nullif(a.areal_i_alt, 0) as daekning_pct,
        s.antal_bygninger_med_data,
        coalesce(
            100.0 * s.areal_med_data / nullif(a.areal_i_alt, 0) >= {{ parameter('benchmark_min_daekning_pct') }},
            false
        ) as indgaar_i_benchmark
    from samlet as s
    inner join areal as a using (kommunekode, aar, sektor)
    inner join katalog as k using (noegletal)
)

select * from final
