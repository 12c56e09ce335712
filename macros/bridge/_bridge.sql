{#- Call the Python brain: modules.tessera is added by the dbt plugin that ships with the
    tessera-dbt Python package (see tessera_dbt/runtime/bridge.py). Fails at once, in one
    line, when the brain is not there (tessera._brain_missing() says why and how to fix). -#}
{% macro _bridge(op, payload) %}
  {% set missing = tessera._brain_missing() %}
  {% if missing %}
    {% do exceptions.raise_compiler_error(missing) %}
  {% endif %}
  {{ return(modules.tessera.call(op, payload)) }}
{% endmacro %}
