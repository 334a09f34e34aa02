{# A number in Danish format as text: da_num('x', 1) → '1.234,5'. #}
{% macro da_num(expr, decimals=0) -%}
    replace(replace(replace(format('{:,.{{ decimals }}f}', {{ expr }}), ',', '§'), '.', ','), '§', '.')
{%- endmacro %}
