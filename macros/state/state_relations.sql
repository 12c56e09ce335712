{#- The state tables as dbt will name them: looked up in the graph, so the user's
    +schema, generate_schema_name and aliases apply; never a hard-coded schema. With
    `ddl`, also their column lists and the SQL that creates them: the brain asks for those
    only when a table is missing (StateStore.ensure_tables), so a usual run renders no DDL. -#}
{% macro state_relations(ddl=false) %}
  {% set out = {} %}
  {% for name in ["tessera_events", "tessera_audit_log"] %}
    {% set node = graph.nodes.get("model.tessera." ~ name) %}
    {% if node is none %}
      {% do exceptions.raise_compiler_error("tessera: the model " ~ name ~ " is missing from the graph; is the tessera package installed (dbt deps) and enabled?") %}
    {% endif %}
    {% set relation = api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias) %}
    {% set existing = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) %}
    {% set present = adapter.get_columns_in_relation(existing) if existing is not none else [] %}
    {% set types = {} %}
    {% for column in present %}{% do types.update({column.name | lower: column.dtype | lower}) %}{% endfor %}
    {% set info = {
        "relation": relation | string,
        "database": node.database,
        "schema": node.schema,
        "exists": existing is not none,
        "type": (existing.type | string) if existing is not none else none,
        "existing_columns": present | map(attribute="name") | map("lower") | list,
        "existing_types": types,
    } %}
    {% if ddl %}
      {% set columns = tessera._state_columns(name) %}
      {% do info.update({
          "columns": columns | map(attribute=0) | list,
          "create_sql": tessera.create_state_table_sql(relation, columns) ~ tessera._fills_written_by(relation, columns),
          "create_schema_sql": tessera.create_schema_sql(relation),
      }) %}
    {% endif %}
    {% do out.update({name: info}) %}
  {% endfor %}
  {{ return(out) }}
{% endmacro %}
