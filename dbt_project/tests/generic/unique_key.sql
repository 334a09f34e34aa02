{# The combination of `columns` is a key of the model (its grain): no two rows share it and no row has a null in
   it. One query for both (a not_null test per column would be a dbt node, a query and an asset check each).
   Returns the duplicated keys and the incomplete ones, with their count. #}
{% test unique_key(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1{% for c in columns %} or {{ c }} is null{% endfor %}
{% endtest %}
