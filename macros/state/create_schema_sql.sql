{% macro create_schema_sql(relation) %}
  {{ return(adapter.dispatch("create_schema_sql", "tessera")(relation)) }}
{% endmacro %}

{% macro default__create_schema_sql(relation) %}
  {{ return("create schema if not exists " ~ relation.without_identifier()) }}
{% endmacro %}

{#- PostgreSQL and Redshift name a schema without its database. -#}
{% macro postgres__create_schema_sql(relation) %}
  {{ return("create schema if not exists " ~ relation.without_identifier().include(database=false)) }}
{% endmacro %}

{% macro redshift__create_schema_sql(relation) %}
  {{ return(tessera.postgres__create_schema_sql(relation)) }}
{% endmacro %}
