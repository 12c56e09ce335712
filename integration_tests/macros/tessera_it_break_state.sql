{#- Test helper: replace one of tessera's state tables with a table the hook cannot insert
    into (a real failure, for the fail-soft and atomicity tests). Test suite only. The table
    keeps every column (a state that lost columns is refused as damaged before any write,
    tessera_dbt.state.integrity): a check on its id column rejects every row. -#}
{% macro tessera_it_break_state(table="tessera_audit_log") %}
  {% set node = graph.nodes["model.tessera." ~ table] %}
  {% set relation = api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias) %}
  {% set columns = tessera.audit_columns() if table == "tessera_audit_log" else tessera.event_columns() %}
  {% do run_query("drop table if exists " ~ relation ~ (" cascade" if target.type == "postgres" else "")) %}
  {% set ddl %}
    create table {{ relation }} (
      {%- for name, type in columns %}
      {{ name }} {{ type }}{{ " check (" ~ name ~ " is null)" if loop.first }}{{ "," if not loop.last }}
      {%- endfor %}
    )
  {% endset %}
  {% do run_query(ddl) %}
{% endmacro %}
