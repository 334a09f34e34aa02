-- One row per kommunekode × aar × sektor × noegletal: the municipality's value against the country and its
-- size band, its percentile and rank (oriented by the figure's direction) and its change against aar − 1.
--   percentil    = 100 × percent_rank() from worst (0) to best (100); ties share the lower rank; for neutral
--                  figures by value ascending; null when fewer municipalities than the parameter
--                  `undertrykkelse_min_kommuner` are compared (the participants' suppression rule).
--   rang         = rank() from best (1) to worst; neutral figures by value ascending.
--   aendring     = vaerdi − the value for aar − 1 (same sektor and figure); aendring_pct = 100 × aendring /
--                  that value.
--   sammenlignelig = both years' values enter the benchmark and their daekning_pct differ by at most the
--                  parameter `sammenlignelig_max_daekningsforskel_pct` (percentage points); false without a
--                  previous year.
-- Only municipalities whose value enters the benchmark (`indgaar_i_benchmark`) are ranked. Thresholds come
-- from the seed parametre.
with

regel as (
    select
        {{ parameter('undertrykkelse_min_kommuner') }} as min_kommuner,
        {{ parameter('sammenlignelig_max_daekningsforskel_pct') }} as max_daekningsforskel
),

kommune as (
    select * from {{ ref('mart_noegletal_kommune') }}
),

katalog as (
    select noegletal, retning from {{ ref('dim_noegletal') }}
),

benchmark as (
    select * from {{ ref('mart_benchmark') }}
),

stoerrelse as (
    select kommunekode, aar, stoerrelse from {{ ref('int_kommune_aar') }}
),

med_retning as (
    select
        k.*,
        c.retning,
        -- a number that grows from worst to best (neutral: from low to high)
        case c.retning when 'lavere_er_bedre' then -k.vaerdi else k.vaerdi end as orienteret
    from kommune as k
    inner join katalog as c using (noegletal)
),

rangeret as (
    select
        *,
        count(*) over w_alle as n,
        100.0 * percent_rank() over (partition by aar, sektor, noegletal order by orienteret) as percentil_raa,
        -- bigint as in DuckDB (Spark's rank() is an int)
        cast(case when retning = 'neutral'
            then rank() over (partition by aar, sektor, noegletal order by vaerdi)
            else rank() over (partition by aar, sektor, noegletal order by orienteret desc)
        end as bigint) as rang
    from med_retning
    where indgaar_i_benchmark and vaerdi is not null
    window w_alle as (partition by aar, sektor, noegletal)
),

final as (
    select
        m.kommunekode,
        m.aar,
        m.sektor,
        m.noegletal,
        m.vaerdi,
        land.median as landsmedian,
        grp.median as gruppemedian,
        case when r.n >= p.min_kommuner then r.percentil_raa end as percentil,
        r.rang,
        r.n,
        m.vaerdi - forrige.vaerdi as aendring,
        100.0 * (m.vaerdi - forrige.vaerdi) / nullif(forrige.vaerdi, 0) as aendring_pct,
        coalesce(
            m.indgaar_i_benchmark and m.vaerdi is not null
            and forrige.indgaar_i_benchmark and forrige.vaerdi is not null
            and abs(m.daekning_pct - forrige.daekning_pct) <= p.max_daekningsforskel,
            false
        ) as sammenlignelig,
        m.retning
    from med_retning as m
    cross join regel as p
    left join rangeret as r using (kommunekode, aar, sektor, noegletal)
    left join benchmark as land
        on land.aar = m.aar and land.sektor = m.sektor and land.noegletal = m.noegletal
        and land.sammenligningsgruppe = 'alle'
    left join stoerrelse as s on s.kommunekode = m.kommunekode and s.aar = m.aar
    left join benchmark as grp
        on grp.aar = m.aar and grp.sektor = m.sektor and grp.noegletal = m.noegletal
        and grp.sammenligningsgruppe = 'stoerrelse:' || s.stoerrelse
    left join kommune as forrige
        on forrige.kommunekode = m.kommunekode and forrige.aar = m.aar - 1
        and forrige.sektor = m.sektor and forrige.noegletal = m.noegletal
)

select * from final
