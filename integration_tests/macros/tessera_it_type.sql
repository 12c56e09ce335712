{#- A type of the fixture's contracts in this adapter's spelling: Spark has no `text` and no
    `varchar` without a length (its string type is `string`). Models cast with it; the YAML
    (which cannot call macros) writes the same choice inline on `target.type`. -#}
{% macro tessera_it_type(name) %}
    {%- if target.type in ('spark', 'databricks') and name in ('varchar', 'text') -%}
        {{ return('string') }}
    {%- endif -%}
    {{ return(name) }}
{% endmacro %}
