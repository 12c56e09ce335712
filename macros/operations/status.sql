{#- dbt run-operation tessera.status --args '{...}' (arguments: docs/operations.md). -#}
{% macro status() %}
  {{ return(tessera._operation("status", kwargs)) }}
{% endmacro %}
