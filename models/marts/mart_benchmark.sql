-- One row per aar × sektor × noegletal × sammenligningsgruppe (`alle`, `region:<navn>`,
-- `stoerrelse:<band>`): statistics over the municipalities whose value enters the benchmark
-- (`indgaar_i_benchmark`: coverage ≥ `benchmark_min_daekning_pct`). Suppressed below the parameter
-- `undertrykkelse_min_kommuner` (seed parametre): every statistic null, `undertrykt` true, n kept. This
-- table is for participants; the public tier (offentlig/benchmark.parquet, pipeline/publish.py) keeps fewer
-- columns and larger groups only.
with

parametre as (
    select {{ parameter('undertrykkelse_min_kommuner') }} as min_kommuner
),

vaerdier as (
    select * from {{ ref('mart_noegletal_kommune') }} where indgaar_i_benchmark and vaerdi is not null
),

kommuner as (
    select kommunekode, region from {{ ref('dim_kommune') }}
),

stoerrelse as (
    select kommunekode, aar, stoerrelse from {{ ref('int_kommune_aar') }}
),

grupperet as (
    select v.aar, v.sektor, v.noegletal, 'alle' as sammenligningsgruppe, v.vaerdi from vaerdier as v
    union all
    select v.aar, v.sektor, v.noegletal, 'region:' || k.region, v.vaerdi
    from vaerdier as v inner join kommuner as k using (kommunekode)
    union all
    select v.aar, v.sektor, v.noegletal, 'stoerrelse:' || s.stoerrelse, v.vaerdi
    from vaerdier as v inner join stoerrelse as s using (kommunekode, aar)
),

statistik as (
    select
        aar,
        sektor,
        noegletal,
        sammenligningsgruppe,
        count(*) as n_kommuner,
        {{ exact_avg('vaerdi') }} as gennemsnit,
        {{ quantile_cont('vaerdi', 0.5) }} as median,
        {{ quantile_cont('vaerdi', 0.25) }} as p25,
        {{ quantile_cont('vaerdi', 0.75) }} as p75,
        min(vaerdi) as min,
        max(vaerdi) as max
    from grupperet
    group by aar, sektor, noegletal, sammenligningsgruppe
),

final as (
    select
        s.aar,
        s.sektor,
        s.noegletal,
        s.sammenligningsgruppe,
        s.n_kommuner,
        s.n_kommuner < p.min_kommuner as undertrykt,
        case when s.n_kommuner >= p.min_kommuner then s.gennemsnit end as gennemsnit,
        case when s.n_kommuner >= p.min_kommuner then s.median end as median,
        case when s.n_kommuner >= p.min_kommuner then s.p25 end as p25,
        case when s.n_kommuner >= p.min_kommuner then s.p75 end as p75,
        case when s.n_kommuner >= p.min_kommuner then s.min end as min,
        case when s.n_kommuner >= p.min_kommuner then s.max end as max
    from statistik as s
    cross join parametre as p
)

select * from final
