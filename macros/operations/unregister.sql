{#- dbt run-operation tessera.unregister --args '{...}' (arguments: docs/operations.md). -#}
{% macro unregister() %}
  {{ return(tessera._operation("unregister", kwargs)) }}
{% endmacro %}
