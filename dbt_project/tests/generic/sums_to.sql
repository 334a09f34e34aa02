{# The column sums to `total` over the whole model (within `tolerance`), e.g. the weights of a seed that
   must add up to 1. Returns one row, with the sum, when it does not (an empty model sums to 0). #}
{% test sums_to(model, column_name, total=1, tolerance=0.000001) %}
select summen
from (select coalesce(sum({{ column_name }}), 0) as summen from {{ model }}) as s
where abs(summen - {{ total }}) > {{ tolerance }}
{% endtest %}
