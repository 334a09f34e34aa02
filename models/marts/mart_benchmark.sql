-- One row per aar × sektor × noegletal × sammenligningsgruppe (`alle`, `region:<navn>`,
-- `stoerrelse:<band>`): statistics over the municipalities whose value enters the benchmark (coverage
-- ≥ 50 %). Suppressed below 3 municipalities: every statistic null, `undertrykt` true, n kept.
with

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
        quantile_cont(vaerdi, 0.5) as median,
        quantile_cont(vaerdi, 0.25) as p25,
        quantile_cont(vaerdi, 0.75) as p75,
        min(vaerdi) as min,
        max(vaerdi) as max
    from grupperet
    group by aar, sektor, noegletal, sammenligningsgruppe
),

final as (
    select
        aar,
        sektor,
        noegletal,
        sammenligningsgruppe,
        n_kommuner,
        n_kommuner < 3 as undertrykt,
        case when n_kommuner >= 3 then gennemsnit end as gennemsnit,
        case when n_kommuner >= 3 then median end as median,
        case when n_kommuner >= 3 then p25 end as p25,
        case when n_kommuner >= 3 then p75 end as p75,
        case when n_kommuner >= 3 then min end as min,
        case when n_kommuner >= 3 then max end as max
    from statistik
)

select * from final
