-- One row per kommunekode × aar × bygning_id × lokale_id: the room's shares of occupied hours outside the
-- limits and its grade. The minimum of occupied room-hours with data (parameter min_brugte_rumtimer, seed
-- parametre) is the building's (KEY_FIGURES.md, Indoor climate), not the room's: in a building that has it,
-- every room with occupied hours with data is graded from its measurements, the worse of its CO2 and
-- temperature grades (threshold seed). Other rooms, and every room of a building below the minimum, use
-- their latest usable `indeklima_vurderinger` grade (at most 5 years old, carried forward like condition
-- assessments; only for buildings in the year's master data).
with

timer as (
    select * from {{ ref('int_indeklima_timer') }} where er_i_brug
),

parametre as (
    select *, {{ parameter('min_brugte_rumtimer') }} as min_brugte_rumtimer
    from {{ ref('indeklima_parametre') }}
),

graenser as (
    select andel_pct_hoejst, karakter from {{ ref('indeklima_graenser') }}
),

maalt as (
    select
        t.kommunekode,
        t.aar,
        t.bygning_id,
        t.lokale_id,
        count(*) filter (where t.co2_ppm is not null) as co2_timer,
        count(*) filter (where t.co2_ppm > p.co2_graense_ppm) as co2_timer_over,
        count(*) filter (where t.temperatur_c is not null) as temp_timer,
        count(*) filter (where t.temperatur_c < p.temp_min_c or t.temperatur_c > p.temp_max_c) as temp_timer_uden_for,
        count(*) as brugte_timer,
        any_value(p.min_brugte_rumtimer) as min_brugte_rumtimer
    from timer as t
    cross join parametre as p
    group by all
),

andele as (
    select
        *,
        sum(brugte_timer) over (partition by kommunekode, aar, bygning_id) >= min_brugte_rumtimer
            as bygning_har_nok,
        100 * co2_timer_over / nullif(co2_timer, 0) as andel_co2_pct,
        100 * temp_timer_uden_for / nullif(temp_timer, 0) as andel_temp_pct
    from maalt
),

maalt_karakter as (
    select
        a.*,
        (select min(g.karakter) from graenser as g where a.andel_co2_pct <= g.andel_pct_hoejst) as co2_karakter,
        (select min(g.karakter) from graenser as g where a.andel_temp_pct <= g.andel_pct_hoejst) as temp_karakter
    from andele as a
),

vurderinger as (
    select * from {{ ref('stg_raw__indeklima_vurderinger') }}
),

bygninger as (
    select kommunekode, aar, bygning_id from {{ ref('stg_raw__bygninger') }}
),

vurderet as (
    select a.kommunekode, a.aar, v.bygning_id, v.lokale_id, v.karakter
    from bygninger as a
    inner join vurderinger as v on v.bygning_id = a.bygning_id and {{ carried_forward('a', 'v') }}
    qualify row_number() over (
        partition by a.kommunekode, a.aar, v.bygning_id, v.lokale_id
        order by v.vurderingsdato desc, v.aar desc, v.karakter desc
    ) = 1
),

lokaler as (
    select kommunekode, aar, bygning_id, lokale_id from maalt_karakter
    union
    select kommunekode, aar, bygning_id, lokale_id from vurderet
),

final as (
    select
        l.kommunekode,
        l.aar,
        l.bygning_id,
        l.lokale_id,
        m.brugte_timer,
        m.co2_timer,
        m.co2_timer_over,
        m.temp_timer,
        m.temp_timer_uden_for,
        m.andel_co2_pct,
        m.andel_temp_pct,
        coalesce(m.bygning_har_nok, false) as er_maalt,
        case when m.bygning_har_nok then greatest(m.co2_karakter, m.temp_karakter) else v.karakter end
            as rum_karakter,
        case when m.bygning_har_nok then 'maaling' when v.karakter is not null then 'vurdering' end
            as karakter_kilde
    from lokaler as l
    left join maalt_karakter as m using (kommunekode, aar, bygning_id, lokale_id)
    left join vurderet as v using (kommunekode, aar, bygning_id, lokale_id)
)

select * from final
