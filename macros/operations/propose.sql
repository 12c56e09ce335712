{#- dbt run-operation tessera.propose --args '{...}' (arguments: docs/operations.md). -#}
{% macro propose() %}
  {{ return(tessera._operation("propose", kwargs)) }}
{% endmacro %}
