{# Every row's combination of `columns` is a row of `to` (a relationships test over a multi-column key, such as
   kommunekode × aar × bygning_id against dim_bygning): returns the rows whose key `to` does not have.
   `to_columns` names the key in `to` when it is named differently. A row with a null in its key is not
   tested (the key's not_null tests catch it). #}
{% test relationships_key(model, columns, to, to_columns=none) %}
{%- set to_columns = to_columns or columns -%}
{%- if to_columns | length != columns | length -%}
    {{ exceptions.raise_compiler_error('relationships_key: columns and to_columns differ in length') }}
{%- endif %}
select {% for c in columns %}child.{{ c }}{{ ", " if not loop.last }}{% endfor %}
from {{ model }} as child
where {% for c in columns %}child.{{ c }} is not null and {% endfor %}not exists (
    select 1 from {{ to }} as parent
    where {% for c in columns %}parent.{{ to_columns[loop.index0] }} = child.{{ c }}{{ " and " if not loop.last }}{% endfor %}
)
{% endtest %}
