{#- The value of one tessera setting: vars.tessera.<key>, else its default.
    "true"/"false" strings (from --vars on the command line) become booleans. -#}
{% macro setting(key) %}
  {% set settings = tessera.settings() %}
  {% if key not in settings %}
    {% do exceptions.raise_compiler_error("tessera.setting: unknown setting '" ~ key ~ "'; known: " ~ (settings.keys() | list | sort | join(", "))) %}
  {% endif %}
  {{ return(settings[key]) }}
{% endmacro %}
