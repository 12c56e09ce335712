{#- DDL for a missing state table, through dbt's own dispatched create_table_as. -#}
{% macro create_state_table_sql(relation, columns) %}
  {{ return(adapter.dispatch("create_state_table_sql", "tessera")(relation, columns)) }}
{% endmacro %}

{% macro default__create_state_table_sql(relation, columns) %}
  {{ return(create_table_as(false, relation, tessera.empty_table(columns))) }}
{% endmacro %}
