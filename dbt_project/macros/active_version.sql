{# Keeps only the rows of each submission's ACTIVE version (the newest that passed its gates, or the
   one the steward pinned): `where {{ active_version() }}`. #}
{% macro active_version() -%}
    (kommunekode, aar, version) in (
        select (kommunekode, aar, version) from {{ source('audit', 'active_submissions') }}
    )
{%- endmacro %}
