{% macro create_schema_sql(relation) %}
  {{ return(adapter.dispatch("create_schema_sql", "tessera")(relation)) }}
{% endmacro %}

{% macro default__create_schema_sql(relation) %}
  {{ return("create schema if not exists " ~ relation.without_identifier()) }}
{% endmacro %}
