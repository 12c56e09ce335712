{#
    True when the var `tessera_it_failing` asks for the deliberate failures (see README.md).
    `--vars` given as a string ("true") count too, so the switch works however it is passed.
#}
{% macro tessera_it_failing() %}
    {%- set value = var('tessera_it_failing', false) -%}
    {{ return(value is sameas true or (value is string and value | lower in ['true', '1', 'yes'])) }}
{% endmacro %}
