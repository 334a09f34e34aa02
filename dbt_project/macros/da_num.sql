{# A number in Danish format as text: da_num('x', 1) → '1.234,5'. #}
{% macro da_num(expr, decimals=0) -%}
    replace(replace(replace({{ format_thousands(expr, decimals) }}, ',', '§'), '.', ','), '§', '.')
{%- endmacro %}

{# A parameter or other number in Danish format with only the decimals it has (up to `max_decimals`):
   da_num_kort('x') → '75', '3,5', '1.234,25'. #}
{% macro da_num_kort(expr, max_decimals=3) -%}
    {%- if max_decimals < 1 %}{{ exceptions.raise_compiler_error('da_num_kort needs max_decimals >= 1') }}{% endif -%}
    regexp_replace({{ da_num(expr, max_decimals) }}, ',?0+$', '')
{%- endmacro %}
