{#- Test helper: replace one of tessera's state tables with a table the hook cannot insert
    into (a real failure, for the fail-soft and atomicity tests). Test suite only. -#}
{% macro tessera_it_break_state(table="tessera_audit_log") %}
  {% set node = graph.nodes["model.tessera." ~ table] %}
  {% set relation = api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias) %}
  {% do run_query("drop table if exists " ~ relation ~ (" cascade" if target.type == "postgres" else "")) %}
  {% do run_query("create table " ~ relation ~ " (audit_id integer not null, event_id integer, recorded_at integer)") %}
{% endmacro %}
