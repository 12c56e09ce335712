{#- All tessera settings: the defaults overlaid with the user's vars.tessera mapping. -#}
{% macro settings() %}
  {% set user = var("tessera", {}) %}
  {% if user is not mapping %}
    {% do exceptions.raise_compiler_error("tessera: vars.tessera must be a mapping, e.g. vars: {tessera: {schema: tessera}}; got: " ~ user) %}
  {% endif %}
  {% set merged = tessera.default_settings() %}
  {% for key, value in user.items() %}
    {% if value is string and value | lower in ("true", "false") %}
      {% set value = (value | lower == "true") %}
    {% endif %}
    {% do merged.update({key: value}) %}
  {% endfor %}
  {{ return(merged) }}
{% endmacro %}
