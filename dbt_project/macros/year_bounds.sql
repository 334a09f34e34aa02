{# Start and end (exclusive) of a reporting year as instants: local midnight, Europe/Copenhagen.
   The session time zone is set on every connection, so a cast of a local timestamp is local. #}
{% macro year_start(aar) -%}
    cast(make_timestamp(cast({{ aar }} as bigint), 1, 1, 0, 0, 0) as timestamptz)
{%- endmacro %}
{% macro year_end(aar) -%}
    cast(make_timestamp(cast({{ aar }} as bigint) + 1, 1, 1, 0, 0, 0) as timestamptz)
{%- endmacro %}
{% macro seconds_between(a, b) -%}
    (epoch({{ b }}) - epoch({{ a }}))
{%- endmacro %}
