{# Assessments carry forward (INFORMATION_MODEL.md §5 and §7): year `a.aar` may use an assessment `v` from
   this or an earlier submission of the municipality, dated on or before 31 December of the year and at most
   5 years old. Used for condition and indoor-climate grades alike. #}
{% macro carried_forward(a, v) -%}
    {{ v }}.kommunekode = {{ a }}.kommunekode
    and {{ v }}.aar <= {{ a }}.aar
    and {{ v }}.vurderingsdato <= make_date({{ a }}.aar, 12, 31)
    and {{ v }}.vurderingsdato >= make_date({{ a }}.aar - 5, 12, 31)
{%- endmacro %}
