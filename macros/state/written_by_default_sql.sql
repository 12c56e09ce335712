{#- The statement that makes the warehouse fill tessera_events.written_by with the writing
    session's user, or none where it cannot (every engine but PostgreSQL here). With
    writers granted INSERT on the other columns only (docs/security.md), who wrote a row
    is the database's word, not the row's. -#}
{% macro written_by_default_sql(relation) %}
  {{ return(adapter.dispatch("written_by_default_sql", "tessera")(relation)) }}
{% endmacro %}

{% macro default__written_by_default_sql(relation) %}{{ return(none) }}{% endmacro %}

{% macro postgres__written_by_default_sql(relation) %}
  {{ return("alter table " ~ relation ~ " alter column written_by set default session_user") }}
{% endmacro %}
