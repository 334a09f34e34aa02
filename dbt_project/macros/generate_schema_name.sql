{# Models go to the schema their folder names (staging, intermediate, marts; seeds to ref), not to
   "<target>_<schema>": analysts query marts.mart_noegletal_bygning. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
