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
{# The materialization of a model incremental by submission: `incremental` on DuckDB (the hooks below); on
   Spark a `table` rebuilt whole on every build (Parquet tables have no DELETE; docs/spark.md). #}
{% macro incremental_by_submission_materialization() -%}
    {{ return('table' if target.type == 'spark' else 'incremental') }}
{%- endmacro %}

{# The submissions whose active version is not yet in the model and that have accepted rows of `dataset` (the
   model's own rows come from it): one with none adds nothing, and is not asked for again on every run (the
   post-hook removes the rows of a version that is no longer active). #}
{% macro changed_submission_rows(dataset) -%}
    {%- set sql -%}
        select a.kommunekode, a.aar, a.version from {{ source('audit', 'active_submissions') }} as a
        where (a.kommunekode, a.aar, a.version) not in (
            select distinct (kommunekode, aar, version) from {{ this }}
        )
        and exists (
            select 1 from {{ source('audit', 'submission_datasets') }} as d
            where d.kommunekode = a.kommunekode and d.aar = a.aar and d.version = a.version
                and d.dataset = '{{ dataset }}' and d.raekker_accepteret > 0
        )
        order by all
    {%- endset -%}
    {{ return(run_query(sql).rows if execute else []) }}
{%- endmacro %}

{# SQL: true for the rows of the given submissions (rows of kommunekode, aar[, version]); false for none. The
   single-column IN lists are what DuckDB pushes into a table scan (zone maps); the list of constants says
   exactly which (a semi-join: an OR of one conjunction per submission cost 3,4 s per million rows at 784). #}
{% macro submissions_in(rows, with_version=true) -%}
    {%- if rows | length == 0 -%}
        false
    {%- else -%}
        {%- set codes = [] -%}{%- set years = [] -%}{%- set keys = [] -%}
        {%- for r in rows -%}
            {%- set k = "'" ~ (r[0] | string | replace("'", "''")) ~ "'" -%}
            {%- set y = r[1] | int -%}
            {%- set key = "(" ~ k ~ ", " ~ y ~ ((", " ~ (r[2] | int)) if with_version else "") ~ ")" -%}
            {%- if k not in codes -%}{%- do codes.append(k) -%}{%- endif -%}
            {%- if y not in years -%}{%- do years.append(y) -%}{%- endif -%}
            {%- if key not in keys -%}{%- do keys.append(key) -%}{%- endif -%}
        {%- endfor -%}
        {%- set cols = "kommunekode, aar, version" if with_version else "kommunekode, aar" -%}
        (kommunekode in ({{ codes | join(', ') }}) and aar in ({{ years | join(', ') }})
         and ({{ cols }}) in (select ({{ cols }}) from (values {{ keys | join(', ') }}) as k({{ cols }})))
    {%- endif -%}
{%- endmacro %}

{% macro delete_changed_submissions(dataset) -%}
    {% if is_incremental() %}
    delete from {{ this }} where {{ submissions_in(changed_submission_rows(dataset), with_version=false) }}
    {% endif %}
{%- endmacro %}

{% macro changed_submissions(dataset) -%}
    {{ submissions_in(changed_submission_rows(dataset)) }}
{%- endmacro %}

{% macro remove_inactive_versions() -%}
    {{ return(adapter.dispatch('remove_inactive_versions', 'kkm2')()) }}
{%- endmacro %}

{# Spark rebuilds the model whole (incremental_by_submission_materialization): nothing to remove. #}
{% macro spark__remove_inactive_versions() -%}
{%- endmacro %}

{% macro default__remove_inactive_versions() -%}
    delete from {{ this }} where (kommunekode, aar, version) not in (
        select (kommunekode, aar, version) from {{ source('audit', 'active_submissions') }}
    )
{%- endmacro %}
