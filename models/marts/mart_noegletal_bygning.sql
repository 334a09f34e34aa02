-- One row per kommunekode × aar × bygning_id: the building-level key figures (KEY_FIGURES.md).
-- A consumption figure is null when its group's coverage is below 95 % or the building has no meter of
-- the group; the coverage columns say how much of the expected time the meters' periods cover.
with

bygninger as (
    select * from {{ ref('int_bygninger_aar') }}
),

forbrug as (
    select k.kommunekode, k.aar, k.bygning_id, f.gruppe, sum(k.maengde) as maengde
    from {{ ref('int_forbrug_kalenderiseret') }} as k
    inner join {{ ref('forsyningsarter') }} as f on f.kode = k.forsyningsart
    group by all
),

daekning as (
    select
        kommunekode, aar, bygning_id, gruppe,
        100.0 * sum(daekkede_sekunder) / nullif(sum(forventede_sekunder), 0) as daekning_pct
    from {{ ref('int_maaler_daekning') }}
    group by all
),

pr_gruppe as (
    select
        d.kommunekode, d.aar, d.bygning_id, d.gruppe, d.daekning_pct,
        case when d.daekning_pct >= 95 then coalesce(f.maengde, 0) end as maengde
    from daekning as d
    left join forbrug as f
        on f.kommunekode = d.kommunekode and f.aar = d.aar and f.bygning_id = d.bygning_id
        and f.gruppe = d.gruppe
),

pr_bygning as (
    select
        kommunekode, aar, bygning_id,
        max(maengde) filter (where gruppe = 'el') as el_kwh,
        max(maengde) filter (where gruppe = 'varme') as varme_kwh,
        max(maengde) filter (where gruppe = 'vand') as vand_m3,
        max(daekning_pct) filter (where gruppe = 'el') as el_daekning_pct,
        max(daekning_pct) filter (where gruppe = 'varme') as varme_daekning_pct,
        max(daekning_pct) filter (where gruppe = 'vand') as vand_daekning_pct
    from pr_gruppe
    group by all
),

final as (
    select
        b.kommunekode,
        b.aar,
        b.bygning_id,
        b.navn,
        b.sektor,
        b.ejerforhold,
        b.bda_m2,
        p.el_kwh / nullif(b.bda_m2, 0) as el_kwh_pr_m2,
        p.varme_kwh / nullif(b.bda_m2, 0) as varme_kwh_pr_m2,
        p.vand_m3 / nullif(b.bda_m2, 0) as vand_m3_pr_m2,
        p.el_daekning_pct,
        p.varme_daekning_pct,
        p.vand_daekning_pct
    from bygninger as b
    left join pr_bygning as p
        on p.kommunekode = b.kommunekode and p.aar = b.aar and p.bygning_id = b.bygning_id
)

select * from final
