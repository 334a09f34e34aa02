-- One row per kommunekode × aar × bygning_id × noegletal for each figure of the catalogue (dim_noegletal) that
-- the building has a value for, with the numerator and denominator the figure's municipality aggregation adds
-- up (mart_noegletal_kommune: Σ taeller / Σ naevner, or Σ taeller where there is no denominator). The
-- aggregation is the catalogue's `aggregering`, read here; no figure's aggregation is written anywhere else:
--   antal                          every building counts 1 (no denominator)
--   sum                            the value (no denominator)
--   arealforhold, arealvaegtet_middel   value × bda_m2 / bda_m2 of buildings with the value
--   andel_areal_tilstand_4_5       100 × bda_m2 of buildings whose condition grade is ≥ 3.5 / bda_m2 of
--                                  buildings with a grade
--   puljede_rumtimer, timeforhold, brugerforhold, areal_pr_bruger
--                                  the building's own numerator and denominator of the figure (`dele`),
--                                  pooled: room-hours, hours, users and capacity, area and users
--   areal_pr_indbygger             municipality level only (mart_noegletal_kommune): no building rows
-- An aggregation the model does not know stops the build.
with

katalog as (
    select noegletal, aggregering from {{ ref('dim_noegletal') }}
),

bygning as (
    select * from {{ ref('mart_noegletal_bygning') }}
),

-- every number of the building mart as (noegletal, vaerdi), nulls left out; the join with the catalogue
-- below keeps the figures
kolonner as (
    {{ unpivot_columns(
        'bygning',
        keys=['kommunekode', 'aar', 'bygning_id'],
        exclude=['navn', 'sektor', 'ejerforhold', 'naermere_eftersyn', 'naermere_eftersyn_aarsag'],
        columns_of=('marts', 'mart_noegletal_bygning'),
        name='noegletal',
        value='vaerdi',
    ) }}
),

-- what each figure aggregates: its own column of the building mart, or what its aggregation counts
vaerdier as (
    select k.kommunekode, k.aar, k.bygning_id, k.noegletal, k.vaerdi
    from kolonner as k
    union all
    select b.kommunekode, b.aar, b.bygning_id, c.noegletal, cast(1 as double)
    from bygning as b
    inner join katalog as c on c.aggregering = 'antal'
    union all
    select b.kommunekode, b.aar, b.bygning_id, c.noegletal, b.vedligeholdelsestilstand
    from bygning as b
    inner join katalog as c on c.aggregering = 'andel_areal_tilstand_4_5'
    where b.vedligeholdelsestilstand is not null
),

-- the building's own numerator and denominator of the figures that are a ratio of its sums
-- (KEY_FIGURES.md, building level)
dele as (
    select kommunekode, aar, bygning_id, 'andel_timer_co2_over_1000' as noegletal,
           100 * co2_rumtimer_over as taeller, co2_rumtimer as naevner
    from {{ ref('int_indeklima_bygning') }}
    union all
    select kommunekode, aar, bygning_id, 'andel_timer_temp_uden_for_20_26',
           100 * temp_rumtimer_uden_for, temp_rumtimer
    from {{ ref('int_indeklima_bygning') }}
    union all
    select kommunekode, aar, bygning_id, 'anvendelsesgrad_pct', 100.0 * timer_anvendt, timer_til_raadighed
    from {{ ref('int_anvendelse_bygning') }}
    union all
    select kommunekode, aar, bygning_id, 'bookingsgrad_pct', 100.0 * timer_booket, timer_til_raadighed_med_booking
    from {{ ref('int_anvendelse_bygning') }}
    union all
    select kommunekode, aar, bygning_id, 'udnyttelsesgrad_pct', 100 * brugere, kapacitet
    from {{ ref('int_udnyttelse_bygning') }}
    union all
    select u.kommunekode, u.aar, u.bygning_id, 'm2_pr_bruger', b.bda_m2, u.brugere
    from {{ ref('int_udnyttelse_bygning') }} as u
    inner join bygning as b using (kommunekode, aar, bygning_id)
),

final as (
    select
        v.kommunekode,
        v.aar,
        b.sektor,
        v.bygning_id,
        v.noegletal,
        k.aggregering,
        b.bda_m2,
        v.vaerdi,
        case
            when k.aggregering = 'antal' then v.vaerdi
            when k.aggregering = 'sum' then v.vaerdi
            when k.aggregering in ('arealforhold', 'arealvaegtet_middel') then v.vaerdi * b.bda_m2
            when k.aggregering = 'andel_areal_tilstand_4_5'
                then case when v.vaerdi >= 3.5 then 100.0 * b.bda_m2 else 0.0 end
            when k.aggregering in ('puljede_rumtimer', 'timeforhold', 'brugerforhold', 'areal_pr_bruger')
                then d.taeller
            else {{ raise_error("'dim_noegletal: ukendt aggregering ' || k.aggregering || ' for ' || v.noegletal") }}
        end as taeller,
        case
            when k.aggregering in ('arealforhold', 'arealvaegtet_middel', 'andel_areal_tilstand_4_5') then b.bda_m2
            when k.aggregering in ('puljede_rumtimer', 'timeforhold', 'brugerforhold', 'areal_pr_bruger')
                then d.naevner
        end as naevner
    from vaerdier as v
    inner join katalog as k using (noegletal)
    inner join bygning as b using (kommunekode, aar, bygning_id)
    left join dele as d using (kommunekode, aar, bygning_id, noegletal)
)

select * from final
