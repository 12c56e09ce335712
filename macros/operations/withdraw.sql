{#- dbt run-operation tessera.withdraw --args '{...}' (arguments: docs/operations.md). -#}
{% macro withdraw() %}
  {{ return(tessera._operation("withdraw", kwargs)) }}
{% endmacro %}
