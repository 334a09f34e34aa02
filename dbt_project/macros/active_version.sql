{# Keeps only the rows of each submission's ACTIVE version (the newest that passed its gates, or the
   one the steward pinned): `where {{ active_version() }}`. DuckDB compares one struct with a list of structs;
   Spark SQL has the standard multi-column IN. #}
{% macro active_version() -%}
    {{ return(adapter.dispatch('active_version', 'kkm2')()) }}
{%- endmacro %}

{% macro default__active_version() -%}
    (kommunekode, aar, version) in (
        select (kommunekode, aar, version) from {{ source('audit', 'active_submissions') }}
    )
{%- endmacro %}

{% macro spark__active_version() -%}
    (kommunekode, aar, version) in (
        select kommunekode, aar, version from {{ source('audit', 'active_submissions') }}
    )
{%- endmacro %}
