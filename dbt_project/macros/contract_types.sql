{# Contract types per target. The YAML names DuckDB's types (varchar, integer, timestamp with time zone); dbt
   checks a contract by casting null to each (get_empty_schema_sql, through dbt.cast). Spark spells two of
   them differently: text is `string` (a bare `varchar` is an error) and an instant is `timestamp`. #}
{% macro spark_type(data_type) -%}
    {%- set t = data_type | trim | lower -%}
    {%- set spark_types = {
        'varchar': 'string',
        'text': 'string',
        'timestamp with time zone': 'timestamp',
        'timestamptz': 'timestamp',
    } -%}
    {{ return(spark_types.get(t, data_type)) }}
{%- endmacro %}

{% macro spark__cast(field, type) -%}
    cast({{ field }} as {{ spark_type(type) }})
{%- endmacro %}
