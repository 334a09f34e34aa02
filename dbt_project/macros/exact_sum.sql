{# Sums and means of doubles depend on the order DuckDB's threads add them up, so the last bits of a figure
   could differ between two builds of the same data. Summing in DECIMAL(38, 9) is exact and independent of
   order: published figures are byte-identical whatever the load order, and whatever the engine (docs/spark.md).

   The engines must then agree on each value's decimal. DuckDB casts a double x to DECIMAL(38, 9) by rounding
   the double product x · 10⁹ to an integer, half away from zero; Spark's cast rounds x's shortest decimal
   representation instead, and so differs in the ninth decimal of one value in six with that many digits. The
   Spark macros do DuckDB's arithmetic (exact_decimal_units) and sum the integers as DECIMAL(38, 0). #}
{% macro exact_sum(expr) -%}
    {{ return(adapter.dispatch('exact_sum', 'kkm2')(expr)) }}
{%- endmacro %}

{% macro default__exact_sum(expr) -%}
    cast(sum(cast({{ expr }} as decimal(38, 9))) as double)
{%- endmacro %}

{% macro spark__exact_sum(expr) -%}
    cast({{ spark__exact_decimal_sum(expr) }} as double)
{%- endmacro %}

{# The mean: the exact sum divided by the count. DuckDB divides a DECIMAL by an integer in double (the sum
   made a double first); Spark would divide in DECIMAL, rounded to a scale it picks, so it is told. #}
{% macro exact_avg(expr) -%}
    {{ return(adapter.dispatch('exact_avg', 'kkm2')(expr)) }}
{%- endmacro %}

{% macro default__exact_avg(expr) -%}
    cast(sum(cast({{ expr }} as decimal(38, 9))) / count({{ expr }}) as double)
{%- endmacro %}

{% macro spark__exact_avg(expr) -%}
    cast({{ spark__exact_decimal_sum(expr) }} as double) / count({{ expr }})
{%- endmacro %}

{# Spark: the exact DECIMAL(38, 9) sum of a double expression, each value rounded as DuckDB rounds it. #}
{% macro spark__exact_decimal_sum(expr) -%}
    cast(sum({{ spark__exact_decimal_units(expr) }}) as decimal(38, 9)) / 1000000000
{%- endmacro %}

{# Spark: x as a whole number of 10⁻⁹, as DuckDB's cast makes it: y = x · 1e9 (a double), rounded half away
   from zero (y − trunc(y) is exact in double). Exact while |x| < 9,2 · 10⁹ (the bigint range); a larger value
   stops the query (Spark's cast to bigint would saturate silently; ANSI mode is off under dbt-spark). #}
{% macro spark__exact_decimal_units(expr) -%}
    {%- set y = '((' ~ expr ~ ') * 1e9)' -%}
    case
        when {{ y }} is null then null
        when abs({{ y }}) < 9.2e18 then cast(
            cast({{ y }} as bigint) + cast(floor(abs({{ y }} - cast({{ y }} as bigint)) * 2) * sign({{ y }}) as bigint)
            as decimal(38, 0)
        )
        else raise_error('exact_sum: a value beyond 9.2e9 cannot be summed exactly')
    end
{%- endmacro %}
