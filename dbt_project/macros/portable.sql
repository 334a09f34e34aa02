{# SQL that DuckDB and Spark SQL spell differently, one macro each (docs/spark.md). The DuckDB spelling is the
   default; a model never uses these functions directly (tests/test_portable_sql.py). #}

{# The continuous quantile of a column (an aggregate), as a double: with the n values sorted, rn = (n − 1) · q,
   d = rn − floor(rn) and lo, hi the values at floor(rn) and ceil(rn), DuckDB's quantile_cont gives
   lo · (1 − d) + hi · d, computed (in the DuckDB wheel kkm2 pins, on x86-64) as fma(lo, 1 − d, hi · d): one
   rounding less than the plain formula. Spark's percentile weighs lo by ceil(rn) − rn instead, and either
   differs from DuckDB in the last bit, so on Spark the formula is spelt out over the sorted values with Java's
   Math.fma (java_method; its text is the double's shortest exact decimal, cast back exactly). #}
{% macro quantile_cont(expr, q) -%}
    {{ return(adapter.dispatch('quantile_cont', 'kkm2')(expr, q)) }}
{%- endmacro %}
{% macro default__quantile_cont(expr, q) -%}
    quantile_cont({{ expr }}, {{ q }})
{%- endmacro %}
{% macro spark__quantile_cont(expr, q) -%}
    {%- set s = 'array_sort(collect_list(' ~ expr ~ '))' -%}
    {%- set rn = '(cast(size(' ~ s ~ ') - 1 as double) * ' ~ q ~ ')' -%}
    {%- set lo = s ~ '[cast(floor(' ~ rn ~ ') as int)]' -%}
    {%- set hi = s ~ '[cast(ceil(' ~ rn ~ ') as int)]' -%}
    {%- set d = '(' ~ rn ~ ' - floor(' ~ rn ~ '))' -%}
    case
        when size({{ s }}) = 0 then null
        when floor({{ rn }}) = ceil({{ rn }}) then {{ lo }}
        else cast(java_method('java.lang.Math', 'fma', {{ lo }}, 1 - {{ d }}, {{ hi }} * {{ d }}) as double)
    end
{%- endmacro %}

{# Stops the query with a message (an expression of text). #}
{% macro raise_error(message) -%}
    {{ return(adapter.dispatch('raise_error', 'kkm2')(message)) }}
{%- endmacro %}
{% macro default__raise_error(message) -%}
    error({{ message }})
{%- endmacro %}
{% macro spark__raise_error(message) -%}
    raise_error({{ message }})
{%- endmacro %}

{# The values of an expression joined by `sep`, in the order of `order_by` (a list of columns, ascending,
   nulls last as in DuckDB). An aggregate: a FILTER clause may follow. #}
{% macro string_agg_ordered(expr, sep, order_by) -%}
    {{ return(adapter.dispatch('string_agg_ordered', 'kkm2')(expr, sep, order_by)) }}
{%- endmacro %}
{% macro default__string_agg_ordered(expr, sep, order_by) -%}
    string_agg({{ expr }}, {{ sep }} order by {{ order_by | join(', ') }})
{%- endmacro %}
{% macro spark__string_agg_ordered(expr, sep, order_by) -%}
    listagg({{ expr }}, {{ sep }}) within group (order by {{ order_by | join(' nulls last, ') }} nulls last)
{%- endmacro %}

{# One row per element of a list literal of DuckDB's spelling ("['a', 'b']", e.g. contract_datasets()): a
   set-returning expression for the select list. #}
{% macro unnest_list(list_literal) -%}
    {{ return(adapter.dispatch('unnest_list', 'kkm2')(list_literal)) }}
{%- endmacro %}
{% macro default__unnest_list(list_literal) -%}
    unnest({{ list_literal }})
{%- endmacro %}
{% macro spark__unnest_list(list_literal) -%}
    {%- set items = list_literal | trim -%}
    {%- if not (items.startswith('[') and items.endswith(']')) -%}
        {{ exceptions.raise_compiler_error('unnest_list needs a list literal, got ' ~ items) }}
    {%- endif -%}
    explode(array({{ items[1:-1] }}))
{%- endmacro %}

{# A double with thousands separators and `decimals` decimals (rounded half to even on the exact binary
   value, by both): 1234.5 → '1,234.5'. da_num makes it Danish. #}
{% macro format_thousands(expr, decimals) -%}
    {{ return(adapter.dispatch('format_thousands', 'kkm2')(expr, decimals)) }}
{%- endmacro %}
{% macro default__format_thousands(expr, decimals) -%}
    format('{:,.{{ decimals }}f}', {{ expr }})
{%- endmacro %}
{% macro spark__format_thousands(expr, decimals) -%}
    format_number(cast({{ expr }} as double), {{ decimals }})
{%- endmacro %}

{# The columns of `relation` (a CTE) but `keys` and `exclude`, as rows (keys…, name, value), nulls left out.
   DuckDB finds the columns itself; Spark needs them named: they are those of the table `columns_of` (schema,
   name), the model the CTE selects from, as the warehouse has it (built before, as a dbt unit test needs it
   too). #}
{% macro unpivot_columns(relation, keys, exclude, columns_of, name, value) -%}
    {{ return(adapter.dispatch('unpivot_columns', 'kkm2')(relation, keys, exclude, columns_of, name, value)) }}
{%- endmacro %}
{% macro default__unpivot_columns(relation, keys, exclude, columns_of, name, value) -%}
    unpivot (
        select * exclude ({{ exclude | join(', ') }}) from {{ relation }}
    )
    on columns(* exclude ({{ keys | join(', ') }}))
    into name {{ name }} value {{ value }}
{%- endmacro %}
{% macro spark__unpivot_columns(relation, keys, exclude, columns_of, name, value) -%}
    {%- set values = [] -%}
    {%- if execute -%}
        {%- set table = adapter.get_relation(database=none, schema=columns_of[0], identifier=columns_of[1]) -%}
        {%- if table is none -%}
            {{ exceptions.raise_compiler_error('unpivot_columns: ' ~ columns_of | join('.') ~ ' is not built yet') }}
        {%- endif -%}
        {%- for c in adapter.get_columns_in_relation(table) if c.name not in keys and c.name not in exclude -%}
            {%- do values.append(c.name) -%}
        {%- endfor -%}
    {%- else -%}
        {%- do values.append('vaerdi_ved_parsing') -%}
    {%- endif -%}
    select {{ keys | join(', ') }}, {{ name }}, {{ value }}
    from (select {{ keys | join(', ') }}, {{ values | join(', ') }} from {{ relation }})
    unpivot ({{ value }} for {{ name }} in ({{ values | join(', ') }}))
{%- endmacro %}

{# A sum of doubles added up in the order of `order_by` (one column). DuckDB's plain sum adds a small table's rows
   in the order they were inserted, which for reference.graddage is month order (pipeline/reference.py); Spark
   adds in whatever order its tasks read, so there the rows are sorted first. (exact_sum would make the order
   irrelevant, but changes DuckDB's degree days in the last bit: kept as DuckDB computes them.) #}
{% macro sum_in_order(expr, order_by) -%}
    {{ return(adapter.dispatch('sum_in_order', 'kkm2')(expr, order_by)) }}
{%- endmacro %}
{% macro default__sum_in_order(expr, order_by) -%}
    sum({{ expr }})
{%- endmacro %}
{% macro spark__sum_in_order(expr, order_by) -%}
    case when count({{ expr }}) > 0 then aggregate(
        array_sort(collect_list(struct({{ order_by }} as k, {{ expr }} as v)) filter (where {{ expr }} is not null)),
        cast(0 as double),
        (acc, e) -> acc + e.v
    ) end
{%- endmacro %}

{# Every column but `columns` (select {{ star_except([...]) }}): DuckDB's `* exclude`, Spark's `* except` (DuckDB
   knows both, but sqlfluff's DuckDB dialect only the first). #}
{% macro star_except(columns) -%}
    {{ return(adapter.dispatch('star_except', 'kkm2')(columns)) }}
{%- endmacro %}
{% macro default__star_except(columns) -%}
    * exclude ({{ columns | join(', ') }})
{%- endmacro %}
{% macro spark__star_except(columns) -%}
    * except ({{ columns | join(', ') }})
{%- endmacro %}
