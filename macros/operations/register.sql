{#- dbt run-operation tessera.register --args '{...}' (arguments: docs/operations.md). -#}
{% macro register() %}
  {{ return(tessera._operation("register", kwargs)) }}
{% endmacro %}
