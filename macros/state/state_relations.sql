{#- The state tables as dbt will name them: looked up in the graph, so the user's
    +schema, generate_schema_name and aliases apply; never a hard-coded schema. -#}
{% macro state_relations() %}
  {% set out = {} %}
  {% for name, columns in [("tessera_events", tessera.event_columns()), ("tessera_audit_log", tessera.audit_columns())] %}
    {% set node = graph.nodes.get("model.tessera." ~ name) %}
    {% if node is none %}
      {% do exceptions.raise_compiler_error("tessera: the model " ~ name ~ " is missing from the graph; is the tessera package installed (dbt deps) and enabled?") %}
    {% endif %}
    {% set relation = api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias) %}
    {% set existing = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) %}
    {% set present = adapter.get_columns_in_relation(existing) if existing is not none else [] %}
    {% set types = {} %}
    {% for column in present %}{% do types.update({column.name | lower: column.dtype | lower}) %}{% endfor %}
    {% do out.update({name: {
        "relation": relation | string,
        "database": node.database,
        "schema": node.schema,
        "exists": existing is not none,
        "type": (existing.type | string) if existing is not none else none,
        "columns": columns | map(attribute=0) | list,
        "existing_columns": present | map(attribute="name") | map("lower") | list,
        "existing_types": types,
        "create_sql": tessera.create_state_table_sql(relation, columns) ~ tessera._fills_written_by(relation, columns),
        "create_schema_sql": tessera.create_schema_sql(relation),
    }}) %}
  {% endfor %}
  {{ return(out) }}
{% endmacro %}
