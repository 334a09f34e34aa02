{# GENERATED from pipeline/contract by `kkm2 generate` -- do not edit; a test fails when stale. #}
{% macro contract_datasets() -%}
    ['bygninger', 'udgifter', 'forbrug', 'maalere', 'vedligehold', 'indeklima_maalinger', 'indeklima_vurderinger', 'anvendelse', 'udnyttelse', 'understoettelse']
{%- endmacro %}
