{#- dbt run-operation tessera.inbox --args '{team: ...}' (arguments: docs/operations.md). -#}
{% macro inbox() %}
  {{ return(tessera._operation("inbox", kwargs)) }}
{% endmacro %}
