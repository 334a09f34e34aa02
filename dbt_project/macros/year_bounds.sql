{# Start and end (exclusive) of a reporting year as instants: local midnight, Europe/Copenhagen.
   The session time zone is set on every connection, so a cast of a local timestamp is local. An instant is
   DuckDB's TIMESTAMPTZ and Spark's TIMESTAMP (Spark's TIMESTAMP_NTZ is DuckDB's TIMESTAMP). #}
{% macro year_start(aar) -%}
    {{ return(adapter.dispatch('year_start', 'kkm2')(aar)) }}
{%- endmacro %}
{% macro default__year_start(aar) -%}
    cast(make_timestamp(cast({{ aar }} as bigint), 1, 1, 0, 0, 0) as timestamptz)
{%- endmacro %}
{% macro spark__year_start(aar) -%}
    make_timestamp(cast({{ aar }} as int), 1, 1, 0, 0, 0)
{%- endmacro %}

{% macro year_end(aar) -%}
    {{ return(adapter.dispatch('year_end', 'kkm2')(aar)) }}
{%- endmacro %}
{% macro default__year_end(aar) -%}
    cast(make_timestamp(cast({{ aar }} as bigint) + 1, 1, 1, 0, 0, 0) as timestamptz)
{%- endmacro %}
{% macro spark__year_end(aar) -%}
    make_timestamp(cast({{ aar }} as int) + 1, 1, 1, 0, 0, 0)
{%- endmacro %}

{# The instant a local date begins (local midnight), or the one `days` days later. #}
{% macro date_start(d, days=0) -%}
    {{ return(adapter.dispatch('date_start', 'kkm2')(d, days)) }}
{%- endmacro %}
{% macro default__date_start(d, days=0) -%}
    {%- if days == 0 -%}
        cast(cast({{ d }} as timestamp) as timestamptz)
    {%- else -%}
        cast(cast({{ d }} as timestamp) + interval {{ days }} day as timestamptz)
    {%- endif -%}
{%- endmacro %}
{% macro spark__date_start(d, days=0) -%}
    {%- if days == 0 -%}
        cast({{ d }} as timestamp)
    {%- else -%}
        cast(date_add({{ d }}, {{ days }}) as timestamp)
    {%- endif -%}
{%- endmacro %}

{# Seconds from instant a to instant b, as a double (microseconds / 10⁶). #}
{% macro seconds_between(a, b) -%}
    {{ return(adapter.dispatch('seconds_between', 'kkm2')(a, b)) }}
{%- endmacro %}
{% macro default__seconds_between(a, b) -%}
    (epoch({{ b }}) - epoch({{ a }}))
{%- endmacro %}
{% macro spark__seconds_between(a, b) -%}
    (unix_micros({{ b }}) / 1e6 - unix_micros({{ a }}) / 1e6)
{%- endmacro %}

{# The instant an hour (by instant, not wall clock: the repeated autumn hour is two hours) begins. #}
{% macro hour_start(t) -%}
    {{ return(adapter.dispatch('hour_start', 'kkm2')(t)) }}
{%- endmacro %}
{% macro default__hour_start(t) -%}
    to_timestamp(3600 * floor(epoch({{ t }}) / 3600))
{%- endmacro %}
{% macro spark__hour_start(t) -%}
    timestamp_seconds(3600 * floor(unix_micros({{ t }}) / 3600e6))
{%- endmacro %}

{# ISO day of the week of an instant in local time: 1 = Monday … 7 = Sunday. #}
{% macro iso_weekday(t) -%}
    {{ return(adapter.dispatch('iso_weekday', 'kkm2')(t)) }}
{%- endmacro %}
{% macro default__iso_weekday(t) -%}
    isodow({{ t }})
{%- endmacro %}
{% macro spark__iso_weekday(t) -%}
    (weekday({{ t }}) + 1)
{%- endmacro %}

{# One row per local calendar month an interval [start, slut) of instants touches: the month's first instant,
   as a set-returning expression for the select list (`select *, {{ month_starts('a', 'b') }} as maaned_tid`). #}
{% macro month_starts(start, slut) -%}
    {{ return(adapter.dispatch('month_starts', 'kkm2')(start, slut)) }}
{%- endmacro %}
{% macro default__month_starts(start, slut) -%}
    unnest(
            case
                when date_trunc('month', {{ start }}) = date_trunc('month', {{ slut }} - interval 1 microsecond)
                    then [date_trunc('month', {{ start }})]
                else generate_series(
                    date_trunc('month', {{ start }}), {{ slut }} - interval 1 microsecond, interval 1 month
                )
            end
        )
{%- endmacro %}
{% macro spark__month_starts(start, slut) -%}
    explode(sequence(date_trunc('month', {{ start }}), {{ slut }} - interval 1 microsecond, interval 1 month))
{%- endmacro %}
