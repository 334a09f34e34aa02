{#- One parameter of the seed `parametre` (the one home of every threshold a rule uses) as a scalar; a
    missing parameter fails the build with its name rather than giving null. -#}
{% macro parameter(name) -%}
    coalesce(
        (select vaerdi from {{ ref('parametre') }} where parameter = '{{ name }}'),
        {{ raise_error("'seed parametre mangler " ~ name ~ "'") }}
    )
{%- endmacro %}
