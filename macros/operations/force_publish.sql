{#- dbt run-operation tessera.force_publish --args '{...}' (arguments: docs/operations.md). -#}
{% macro force_publish() %}
  {{ return(tessera._operation("force_publish", kwargs)) }}
{% endmacro %}
