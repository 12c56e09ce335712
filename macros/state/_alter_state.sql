{#- Bring the existing state table `name` up to the package's columns, inside the writer
    lock the caller holds: add the columns `add` names (dbt's own dispatched
    alter_relation_add_remove_columns; the warehouse fills an added written_by from then
    on), and widen the columns `widen` names to their listed type (an older 32-bit
    `failures`; PostgreSQL first drops the package's views that read the table, which the
    caller re-creates). Which columns is the caller's decision: the on-run-end hook
    (tessera_dbt.state.integrity.outdated_columns), or the tessera_state materialization
    where no plugin runs. -#}
{% macro _alter_state(name, add, widen) %}
  {% set node = graph.nodes.get("model.tessera." ~ name) %}
  {% set relation = api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias, type="table") %}
  {% set types = {} %}
  {% for column, type in tessera._state_columns(name) %}{% do types.update({column: type}) %}{% endfor %}
  {% if add %}
    {% set columns = [] %}
    {% for column in add %}{% do columns.append(api.Column.create(column, types[column])) %}{% endfor %}
    {% do alter_relation_add_remove_columns(relation, columns, none) %}
    {% set fills = tessera.written_by_default_sql(relation) if "written_by" in add else none %}
    {% if fills %}{% do run_query(fills) %}{% endif %}
  {% endif %}
  {% if widen %}
    {% set dependents = [] %}
    {% for view in graph.nodes.values() if view.package_name == "tessera" and view.resource_type == "model" and node.unique_id in view.depends_on.nodes %}
      {% do dependents.append(api.Relation.create(database=view.database, schema=view.schema, identifier=view.alias)) %}
    {% endfor %}
    {% for column in widen %}
      {% set sql = tessera.widen_column_sql(relation, column, types[column], dependents) %}
      {% if sql %}{% do run_query(sql) %}{% endif %}
    {% endfor %}
  {% endif %}
{% endmacro %}
