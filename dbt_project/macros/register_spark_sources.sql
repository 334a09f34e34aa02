{# Spark target only (`dbt run-operation register_spark_sources`, pipeline/spark.py runs it before a build):
   every source of the project becomes a table over the Parquet files kkm2 exported for it under
   $KKM2_HOME/spark/sources/<schema>/<table>/ (raw rows of active versions in kommunekode=…/aar=… folders). The
   files carry every column, kommunekode and aar too, with DuckDB's types, so the folders are read as plain
   files (recursiveFileLookup): Spark infers no partition column (it would make kommunekode '0101' the
   number 101). #}
{% macro register_spark_sources(sources_dir=none) -%}
    {%- if target.type != 'spark' -%}
        {{ exceptions.raise_compiler_error('register_spark_sources is for the spark target, not ' ~ target.type) }}
    {%- endif -%}
    {%- set root = sources_dir or env_var('KKM2_SPARK_SOURCES', env_var('KKM2_HOME', 'kkm2_home') ~ '/spark/sources') -%}
    {%- set schemas = [] -%}
    {%- for node in graph.sources.values() if node.package_name == project_name -%}
        {%- if node.schema not in schemas -%}
            {%- do run_query('create schema if not exists ' ~ node.schema) -%}
            {%- do schemas.append(node.schema) -%}
        {%- endif -%}
        {%- set relation = node.schema ~ '.' ~ node.identifier -%}
        {%- set path = root ~ '/' ~ node.schema ~ '/' ~ node.identifier -%}
        {%- do run_query('drop table if exists ' ~ relation) -%}
        {%- do run_query(
            'create table ' ~ relation ~ ' using parquet options (path ' ~ "'" ~ path ~ "'"
            ~ ", recursiveFileLookup 'true')"
        ) -%}
        {%- do log('registered ' ~ relation ~ ' <- ' ~ path, info=true) -%}
    {%- endfor -%}
{%- endmacro %}
