{# Heavy intermediate models are incremental by municipality × year: a pre-hook deletes the municipality-years
   whose active version is not yet in the model, the model appends those submissions' rows, and a post-hook
   removes submissions that no longer have an active version (held back, unpinned, removed).
   (dbt's delete+insert with unique_key (kommunekode, aar) joins every new row with every old row of the same
   municipality-year: quadratic, 31 s for one municipality's 88 000 room-hours; this is a hash semi-join.)

   The changed submissions are asked for when the model runs and written into its SQL as constants: a filter
   of constants reaches the table scans below the staging views and windows, where the zone maps skip every
   other municipality's rows. An anti-join against {{ this }} in the SQL itself is not pushed down, so every
   municipality's rows were computed before the filter (22 s for one municipality's periods at S = 1, against
   0,1–0,5 s with constants). #}
{% macro changed_submission_rows() -%}
    {%- set sql -%}
        select kommunekode, aar, version from {{ source('audit', 'active_submissions') }}
        where (kommunekode, aar, version) not in (select distinct (kommunekode, aar, version) from {{ this }})
        order by all
    {%- endset -%}
    {{ return(run_query(sql).rows if execute else []) }}
{%- endmacro %}

{# SQL: true for the rows of the given submissions (rows of kommunekode, aar[, version]); false for none. The
   single-column IN lists are what DuckDB pushes into a table scan; the conjunctions say exactly which. #}
{% macro submissions_in(rows, with_version=true) -%}
    {%- if rows | length == 0 -%}
        false
    {%- else -%}
        {%- set codes = [] -%}{%- set years = [] -%}{%- set terms = [] -%}
        {%- for r in rows -%}
            {%- set k = "'" ~ (r[0] | string | replace("'", "''")) ~ "'" -%}
            {%- set y = r[1] | int -%}
            {%- set term = "(kommunekode = " ~ k ~ " and aar = " ~ y
                ~ ((" and version = " ~ (r[2] | int)) if with_version else "") ~ ")" -%}
            {%- if k not in codes -%}{%- do codes.append(k) -%}{%- endif -%}
            {%- if y not in years -%}{%- do years.append(y) -%}{%- endif -%}
            {%- if term not in terms -%}{%- do terms.append(term) -%}{%- endif -%}
        {%- endfor -%}
        (kommunekode in ({{ codes | join(', ') }}) and aar in ({{ years | join(', ') }})
         and ({{ terms | join(' or ') }}))
    {%- endif -%}
{%- endmacro %}

{% macro delete_changed_submissions() -%}
    {% if is_incremental() %}
    delete from {{ this }} where {{ submissions_in(changed_submission_rows(), with_version=false) }}
    {% endif %}
{%- endmacro %}

{% macro changed_submissions() -%}
    {{ submissions_in(changed_submission_rows()) }}
{%- endmacro %}

{% macro remove_inactive_versions() -%}
    delete from {{ this }} where (kommunekode, aar, version) not in (
        select (kommunekode, aar, version) from {{ source('audit', 'active_submissions') }}
    )
{%- endmacro %}
