{#- Test helper: replace tessera's event log with a table the hook cannot insert into
    (a real failure, for the fail-soft test). Never used outside the test suite. -#}
{% macro tessera_it_break_state() %}
  {% set node = graph.nodes["model.tessera.tessera_events"] %}
  {% set relation = api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias) %}
  {% do run_query("drop table if exists " ~ relation ~ (" cascade" if target.type == "postgres" else "")) %}
  {% do run_query("create table " ~ relation ~ " (event_id integer not null, recorded_at integer)") %}
{% endmacro %}
