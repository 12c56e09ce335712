{#- dbt run-operation tessera.acknowledge --args '{...}' (arguments: docs/operations.md). -#}
{% macro acknowledge() %}
  {{ return(tessera._operation("acknowledge", kwargs)) }}
{% endmacro %}
