{# Heavy intermediate models are incremental by municipality × year (delete+insert on kommunekode, aar):
   a run recomputes only the submissions whose active version is not yet in the model, and a post-hook
   removes submissions that no longer have that active version (held back, unpinned, removed). #}
{% macro changed_submissions() -%}
    (kommunekode, aar, version) not in (select distinct (kommunekode, aar, version) from {{ this }})
{%- endmacro %}

{% macro remove_inactive_versions() -%}
    delete from {{ this }} where (kommunekode, aar, version) not in (
        select (kommunekode, aar, version) from {{ source('audit', 'active_submissions') }}
    )
{%- endmacro %}
