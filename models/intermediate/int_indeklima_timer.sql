{{ config(
    materialized=incremental_by_submission_materialization(),
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_changed_submissions('indeklima_maalinger') }}",
    post_hook="{{ remove_inactive_versions() }}",
) }}
-- Incremental by municipality × year: only submissions whose active version changed are recomputed.
-- One row per kommunekode × aar × bygning_id × lokale_id × hour with readings (the hour's start as an instant,
-- so the repeated autumn hour is two rows, each labelled in local time with its offset): the hour's mean CO2
-- and temperature, and whether the room was in use. In use when `i_brug` is true for at least half of the
-- hour's readings that have it; without `i_brug`, by the default schedule (Monday–Friday 08–16 local
-- time, not on Danish public holidays; seed indeklima_parametre).
with

maalinger as (
    select * from {{ ref('stg_raw__indeklima_maalinger') }}
    {% if is_incremental() %}
    where {{ changed_submissions('indeklima_maalinger') }}
    {% endif %}
),

parametre as (
    select * from {{ ref('indeklima_parametre') }}
),

helligdage as (
    select dato from {{ ref('helligdage') }}
),

timer as (
    select
        kommunekode,
        aar,
        version,
        bygning_id,
        lokale_id,
        -- by instant, not by local wall-clock hour: the repeated autumn hour is two hours (UTC hours are
        -- local hours in Denmark, whose offsets are whole hours); the instant shows as local time
        {{ hour_start('tidspunkt') }} as time_tid,
        {{ exact_avg('co2_ppm') }} as co2_ppm,
        {{ exact_avg('temperatur_c') }} as temperatur_c,
        count(*) as antal_maalinger,
        count(i_brug) as antal_med_i_brug,
        count(*) filter (where i_brug) as antal_i_brug
    from maalinger
    group by all
),

final as (
    select
        t.kommunekode,
        t.aar,
        t.version,
        t.bygning_id,
        t.lokale_id,
        t.time_tid,
        t.co2_ppm,
        t.temperatur_c,
        t.antal_maalinger,
        case
            when t.antal_med_i_brug > 0 then 2 * t.antal_i_brug >= t.antal_med_i_brug
            else {{ iso_weekday('t.time_tid') }} <= 5
                and hour(t.time_tid) >= p.brugstid_fra_time
                and hour(t.time_tid) < p.brugstid_til_time
                and cast(t.time_tid as date) not in (select dato from helligdage)
        end as er_i_brug,
        t.antal_med_i_brug > 0 as har_i_brug_data
    from timer as t
    cross join parametre as p
)

select * from final
