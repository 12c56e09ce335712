{#- The statements that make `relation` the view of `sql`, run in one transaction. -#}
{% macro _replace_view_sql(relation, sql) %}
  {{ return(adapter.dispatch("_replace_view_sql", "tessera")(relation, sql)) }}
{% endmacro %}

{% macro default___replace_view_sql(relation, sql) %}
  {{ return(["create or replace view " ~ relation ~ " as " ~ sql]) }}
{% endmacro %}

{#- PostgreSQL's `create or replace view` cannot drop, rename or retype a column: drop and
    create in the same transaction instead (readers see the old view or the new one;
    `cascade` as dbt's own view materialization does, the dependent views are rebuilt
    after this one in the same build). -#}
{% macro postgres___replace_view_sql(relation, sql) %}
  {{ return(["drop view if exists " ~ relation ~ " cascade", "create view " ~ relation ~ " as " ~ sql]) }}
{% endmacro %}
