{#- Call the Python brain: modules.tessera is added by the dbt plugin that ships with the
    tessera-dbt Python package (see tessera_dbt/runtime/bridge.py). Fails at once, in one line,
    when the package is missing from the environment that runs dbt. -#}
{% macro _bridge(op, payload) %}
  {% if modules.tessera is not defined %}
    {% do exceptions.raise_compiler_error("tessera: the Python package is not installed where dbt runs; pip install tessera-dbt (in the same environment as dbt-core)") %}
  {% endif %}
  {{ return(modules.tessera.call(op, payload)) }}
{% endmacro %}
