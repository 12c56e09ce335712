{#- The column list of one of the package's state models, by model name. -#}
{% macro _state_columns(name) %}
  {% if name == "tessera_events" %}{{ return(tessera.event_columns()) }}{% endif %}
  {% if name == "tessera_audit_log" %}{{ return(tessera.audit_columns()) }}{% endif %}
  {% do exceptions.raise_compiler_error("tessera: materialized='tessera_state' is only for the package's state models, not " ~ name) %}
{% endmacro %}
