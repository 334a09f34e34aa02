-- One row per kommunekode × aar × bygning_id: every building-level key figure of KEY_FIGURES.md (codes as
-- in dim_noegletal). A figure is null when its inputs are missing, never 0; consumption figures are null
-- when the group's coverage is below the parameter `daekning_min_pct` or the building has no meter of the
-- group. Every threshold comes from the seed parametre (the `regel` row), never a literal.
with

regel as (
    select
        {{ parameter('daekning_min_pct') }} as daekning_min_pct,
        {{ parameter('eftersyn_udgift_fraktil') }} as udgift_fraktil,
        {{ parameter('eftersyn_tilstand_min') }} as tilstand_min,
        {{ parameter('eftersyn_anvendelsesgrad_under_pct') }} as anvendelsesgrad_under,
        {{ parameter('eftersyn_udnyttelsesgrad_under_pct') }} as udnyttelsesgrad_under,
        {{ parameter('eftersyn_fraktil_min_kommuner') }} as min_kommuner
),

bygninger as (
    select * from {{ ref('int_bygninger_aar') }}
),

forsyning as (
    select kode as forsyningsart, gruppe from {{ ref('forsyningsarter') }}
),

forbrug_art as (
    select k.kommunekode, k.aar, k.bygning_id, k.forsyningsart, f.gruppe, {{ exact_sum('k.maengde') }} as maengde
    from {{ ref('int_forbrug_kalenderiseret') }} as k
    inner join forsyning as f using (forsyningsart)
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
        case when d.daekning_pct >= r.daekning_min_pct then coalesce(f.maengde, 0) end as maengde
    from daekning as d
    cross join regel as r
    left join (
        select kommunekode, aar, bygning_id, gruppe, {{ exact_sum('maengde') }} as maengde
        from forbrug_art group by all
    ) as f using (kommunekode, aar, bygning_id, gruppe)
),

co2 as (
    select
        fa.kommunekode, fa.aar, fa.bygning_id,
        {{ exact_sum('fa.maengde * e.g_co2e_pr_kwh') }} / 1000 as co2e_kg,
        count(*) filter (where e.g_co2e_pr_kwh is null) > 0 as mangler_faktor
    from forbrug_art as fa
    left join {{ source('reference', 'emissionsfaktorer') }} as e
        on e.forsyningsart = fa.forsyningsart and e.aar = fa.aar
    where fa.gruppe in ('el', 'varme')
    group by all
),

forbrug as (
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

figurer as (
    select
        b.kommunekode,
        b.aar,
        b.bygning_id,
        b.navn,
        b.sektor,
        b.ejerforhold,
        b.bda_m2,
        u.drift_kr / nullif(b.bda_m2, 0) as driftsudgift_pr_m2,
        u.vedligehold_kr / nullif(b.bda_m2, 0) as vedligeholdelsesudgift_pr_m2,
        u.rengoering_kr / nullif(b.bda_m2, 0) as rengoeringsudgift_pr_m2,
        u.forsyning_kr / nullif(b.bda_m2, 0) as forsyningsudgift_pr_m2,
        u.samlet_kr / nullif(b.bda_m2, 0) as samlet_udgift_pr_m2,
        f.el_kwh / nullif(b.bda_m2, 0) as el_kwh_pr_m2,
        f.varme_kwh / nullif(b.bda_m2, 0) as varme_kwh_pr_m2,
        f.varme_kwh * (s.klimauafhaengig_andel + (1 - s.klimauafhaengig_andel) * g.graddage_normal / g.graddage_aar)
            / nullif(b.bda_m2, 0) as varme_kwh_pr_m2_normaliseret,
        f.vand_m3 / nullif(b.bda_m2, 0) as vand_m3_pr_m2,
        case
            when c.mangler_faktor is false
                and (f.el_daekning_pct is null or f.el_daekning_pct >= r.daekning_min_pct)
                and (f.varme_daekning_pct is null or f.varme_daekning_pct >= r.daekning_min_pct)
                then c.co2e_kg / nullif(b.bda_m2, 0)
        end as co2e_kg_pr_m2,
        v.vedligeholdelsestilstand,
        i.andel_timer_co2_over_1000,
        i.andel_timer_temp_uden_for_20_26,
        i.indeklima_karakter,
        a.anvendelsesgrad_pct,
        a.bookingsgrad_pct,
        100 * n.brugere / nullif(n.kapacitet, 0) as udnyttelsesgrad_pct,
        b.bda_m2 / nullif(n.brugere, 0) as m2_pr_bruger,
        us.understoettelsesgrad,
        f.el_daekning_pct,
        f.varme_daekning_pct,
        f.vand_daekning_pct,
        v.vurderet_vaegt_pct as vedligehold_vurderet_vaegt_pct
    from bygninger as b
    left join forbrug as f using (kommunekode, aar, bygning_id)
    left join {{ ref('int_udgifter_bygning') }} as u using (kommunekode, aar, bygning_id)
    left join co2 as c using (kommunekode, aar, bygning_id)
    left join {{ ref('int_vedligehold_bygning') }} as v using (kommunekode, aar, bygning_id)
    left join {{ ref('int_indeklima_bygning') }} as i using (kommunekode, aar, bygning_id)
    left join {{ ref('int_anvendelse_bygning') }} as a using (kommunekode, aar, bygning_id)
    left join {{ ref('int_udnyttelse_bygning') }} as n using (kommunekode, aar, bygning_id)
    left join {{ ref('int_understoettelse_bygning') }} as us using (kommunekode, aar, bygning_id)
    left join {{ ref('sektorer') }} as s on s.kode = b.sektor
    left join {{ ref('int_graddage_aar') }} as g on g.aar = b.aar
    cross join regel as r
),

bidrag as (
    -- how many municipalities the sektor's national cost fraktil would rest on
    select aar, sektor, count(distinct kommunekode) as n_kommuner
    from figurer
    where samlet_udgift_pr_m2 is not null
    group by aar, sektor
),

rangeret as (
    select
        f.aar,
        f.sektor,
        f.samlet_udgift_pr_m2 as x,
        row_number() over (partition by f.aar, f.sektor order by f.samlet_udgift_pr_m2) - 1 as i,
        count(*) over (partition by f.aar, f.sektor) as n,
        r.udgift_fraktil as q
    from figurer as f
    cross join regel as r
    where f.samlet_udgift_pr_m2 is not null
),

fraktil as (
    -- continuous quantile (linear interpolation, as quantile_cont) at the rule's fraction; only over buildings
    -- of at least `eftersyn_fraktil_min_kommuner` municipalities (seed parametre), otherwise there is none:
    -- a fraktil of fewer municipalities' buildings is never computed, so no text can quote it
    select
        p.aar,
        p.sektor,
        lo.x + (p.pos - p.lo_i) * (coalesce(hi.x, lo.x) - lo.x) as udgift_fraktil_kr
    from (select distinct aar, sektor, q * (n - 1) as pos, floor(q * (n - 1)) as lo_i from rangeret) as p
    inner join rangeret as lo on lo.aar = p.aar and lo.sektor = p.sektor and lo.i = p.lo_i
    left join rangeret as hi on hi.aar = p.aar and hi.sektor = p.sektor and hi.i = p.lo_i + 1
    inner join bidrag as b on b.aar = p.aar and b.sektor = p.sektor
    cross join regel as r
    where b.n_kommuner >= r.min_kommuner
),

eftersyn as (
    select
        f.*,
        fr.udgift_fraktil_kr,
        b.n_kommuner as udgift_n_kommuner,
        r.min_kommuner as udgift_min_kommuner,
        f.samlet_udgift_pr_m2 is not null and b.n_kommuner < r.min_kommuner as udgift_ikke_testet,
        f.samlet_udgift_pr_m2 > fr.udgift_fraktil_kr as dyr,
        f.vedligeholdelsestilstand >= r.tilstand_min as daarlig_stand,
        f.anvendelsesgrad_pct < r.anvendelsesgrad_under as lav_anvendelse,
        f.udnyttelsesgrad_pct < r.udnyttelsesgrad_under as lav_udnyttelse,
        r.udgift_fraktil,
        r.tilstand_min,
        r.anvendelsesgrad_under,
        r.udnyttelsesgrad_under
    from figurer as f
    cross join regel as r
    left join fraktil as fr using (aar, sektor)
    left join bidrag as b using (aar, sektor)
),

final as (
    select
        {{ star_except([
            'udgift_fraktil_kr', 'udgift_n_kommuner', 'udgift_min_kommuner', 'udgift_ikke_testet',
            'dyr', 'daarlig_stand', 'lav_anvendelse', 'lav_udnyttelse',
            'udgift_fraktil', 'tilstand_min', 'anvendelsesgrad_under', 'udnyttelsesgrad_under',
        ]) }},
        coalesce(dyr and (daarlig_stand or lav_anvendelse or lav_udnyttelse), false) as naermere_eftersyn,
        case when dyr and (daarlig_stand or lav_anvendelse or lav_udnyttelse) then
            'Samlet udgift ' || {{ da_num('samlet_udgift_pr_m2') }} || ' kr/m² er over sektorens '
            || {{ da_num_kort('100 * udgift_fraktil') }} || ' %-fraktil ('
            || {{ da_num('udgift_fraktil_kr') }} || ' kr/m²)'
            || case when daarlig_stand then '; vedligeholdelsestilstand ' || {{ da_num('vedligeholdelsestilstand', 1) }}
                || ' (' || {{ da_num_kort('tilstand_min') }} || ' eller dårligere)' else '' end
            || case when lav_anvendelse then '; anvendelsesgrad ' || {{ da_num('anvendelsesgrad_pct', 0) }}
                || ' % (under ' || {{ da_num_kort('anvendelsesgrad_under') }} || ' %)' else '' end
            || case when lav_udnyttelse then '; udnyttelsesgrad ' || {{ da_num('udnyttelsesgrad_pct', 0) }}
                || ' % (under ' || {{ da_num_kort('udnyttelsesgrad_under') }} || ' %)' else '' end
            || '.'
        when udgift_ikke_testet then
            'Udgiftstesten er ikke foretaget: sektorens udgift pr. m² kendes kun fra '
            || cast(udgift_n_kommuner as string) || case when udgift_n_kommuner = 1 then ' kommune' else ' kommuner' end
            || ', og den nationale fraktil kræver mindst ' || {{ da_num('udgift_min_kommuner') }} || '.'
        end as naermere_eftersyn_aarsag
    from eftersyn
)

select * from final
