{#- dbt run-operation tessera.served_columns --args '{out: FILE}': what the relation of every
    asset under contract that dbt does not hold to its YAML serves now, as JSON (what
    `tessera check --live` reads); read-only. -#}
{% macro served_columns() %}
  {{ return(tessera._bridge_operation("served_columns", kwargs)) }}
{% endmacro %}
