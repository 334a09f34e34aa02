{# Heavy intermediate models are incremental by municipality × year: a pre-hook deletes the municipality-years
   whose active version is not yet in the model, the model appends those submissions' rows, and a post-hook
   removes submissions that no longer have an active version (held back, unpinned, removed).
   (dbt's delete+insert with unique_key (kommunekode, aar) joins every new row with every old row of the same
   municipality-year: quadratic, 31 s for one municipality's 88 000 room-hours; this is a hash semi-join.) #}
{% macro delete_changed_submissions() -%}
    {% if is_incremental() %}
    delete from {{ this }} where (kommunekode, aar) in (
        select (kommunekode, aar) from {{ source('audit', 'active_submissions') }}
        where (kommunekode, aar, version) not in (select distinct (kommunekode, aar, version) from {{ this }})
    )
    {% endif %}
{%- endmacro %}

{% macro changed_submissions() -%}
    (kommunekode, aar, version) not in (select distinct (kommunekode, aar, version) from {{ this }})
{%- endmacro %}

{% macro remove_inactive_versions() -%}
    delete from {{ this }} where (kommunekode, aar, version) not in (
        select (kommunekode, aar, version) from {{ source('audit', 'active_submissions') }}
    )
{%- endmacro %}
