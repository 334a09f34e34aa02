{{ config(materialized='view') }}
-- One row per consumption period of a meter, in base units (kWh for el and heat, m3 for water), with the
-- building the row names (null where it names none: then `maalere` maps it, int_maalere_tilknyttet).
-- `forbrug` rows are periods as delivered; `aflaesning` rows (register values) become the interval between
-- two consecutive readings of the meter, whose consumption is their difference and whose building is the
-- later reading's. An interval whose register decreases is rejected (INFORMATION_MODEL.md §3; the validator
-- warns): it is left out, and the series goes on from the lower reading. No consumption is negative.
with

forbrug as (
    select * from {{ ref('stg_raw__forbrug') }}
),

omregning as (
    select forsyningsart, enhed, faktor from {{ ref('enhedsomregning') }}
),

perioder as (
    select kommunekode, aar, version, maaler_id, bygning_id, forsyningsart, periode_fra as fra_tid,
           periode_til as til_tid, maengde, enhed, kilde_fil, raekke
    from forbrug
    where maaletype = 'forbrug'
),

aflaesninger as (
    select
        kommunekode, aar, version, maaler_id, bygning_id, forsyningsart,
        lag(periode_til) over w as fra_tid,
        periode_til as til_tid,
        maengde - lag(maengde) over w as maengde,
        enhed, kilde_fil, raekke
    from forbrug
    where maaletype = 'aflaesning'
    window w as (partition by kommunekode, aar, maaler_id order by periode_til, kilde_fil, raekke)
),

samlet as (
    select * from perioder
    union all
    select * from aflaesninger where fra_tid is not null and maengde >= 0
),

final as (
    select
        s.kommunekode,
        s.aar,
        s.version,
        s.maaler_id,
        s.bygning_id,
        s.forsyningsart,
        s.fra_tid,
        s.til_tid,
        s.maengde * o.faktor as maengde_basis,
        s.maengde as maengde_leveret,
        s.enhed as enhed_leveret,
        {{ seconds_between('s.fra_tid', 's.til_tid') }} as sekunder,
        s.kilde_fil,
        s.raekke
    from samlet as s
    inner join omregning as o on o.forsyningsart = s.forsyningsart and o.enhed = s.enhed
    where s.til_tid > s.fra_tid
)

select * from final
