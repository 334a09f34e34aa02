{# Sums and means of doubles depend on the order DuckDB's threads add them up, so the last bits of a figure
   could differ between two builds of the same data. Summing in DECIMAL(38, 9) is exact and independent of
   order: published figures are byte-identical whatever the load order. #}
{% macro exact_sum(expr) -%}
    cast(sum(cast({{ expr }} as decimal(38, 9))) as double)
{%- endmacro %}

{% macro exact_avg(expr) -%}
    cast(sum(cast({{ expr }} as decimal(38, 9))) / count({{ expr }}) as double)
{%- endmacro %}
