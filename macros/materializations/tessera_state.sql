{#- The package's state tables (models/sources): created once, never rebuilt, dropped or
    truncated. A table that is there with every column costs one column lookup and no DDL;
    otherwise, in one transaction under the state's writer lock (tessera.state_lock_sql()):
    `create table if not exists`, then any column a newer release lists that the table lacks
    is added. Concurrent first builds therefore never collide ("relation already exists"),
    and a damaged table is never re-created or re-columned here: the on-run-start hook
    refuses a damaged state before any model runs (tessera_dbt.state.integrity). -#}
{%- materialization tessera_state, default -%}
  {%- set target_relation = this.incorporate(type="table") -%}
  {%- set columns = tessera._state_columns(model.name) -%}
  {%- set existing = load_cached_relation(this) -%}
  {%- set found = adapter.get_columns_in_relation(existing) if existing is not none else [] -%}
  {%- set present = found | map(attribute="name") | map("lower") | list -%}
  {#- a column an older release made narrower (failures was 32-bit) -#}
  {%- set narrow = tessera._narrow_columns(found, columns) -%}
  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}
  {% if existing is not none and columns | map(attribute=0) | reject("in", present) | list | length == 0 and not narrow %}
    {#- the usual build: the table is there with every column; no DDL, no lock -#}
    {#- a trivial statement, not noop_statement: it opens the transaction the commit below closes (PostgreSQL) -#}
    {% call statement("main") -%}select 1 as present{%- endcall %}
  {% else %}
    {%- set lock = tessera.state_lock_sql() -%}
    {% if lock %}
      {% call statement("tessera_lock", auto_begin=True) %}{{ lock }}{% endcall %}
    {% endif %}
    {% call statement("main") -%}
      {{ tessera.create_state_table_sql(target_relation, columns) }}
    {%- endcall %}
    {%- set present = adapter.get_columns_in_relation(target_relation) | map(attribute="name") | map("lower") | list -%}
    {%- set missing = [] -%}
    {% for name, type in columns %}
      {% if name not in present %}{% do missing.append(api.Column.create(name, type)) %}{% endif %}
    {% endfor %}
    {% if missing %}
      {% do alter_relation_add_remove_columns(target_relation, missing, none) %}
    {% endif %}
    {#- the event log, new or from before written_by: the database fills it from now on -#}
    {% set fills = tessera.written_by_default_sql(target_relation) if "written_by" in columns | map(attribute=0) | list else none %}
    {% if fills %}{% call statement("tessera_written_by") %}{{ fills }}{% endcall %}{% endif %}
    {% set dependents = [] %}
    {% for node in graph.nodes.values() if node.package_name == "tessera" and node.resource_type == "model" and model.unique_id in node.depends_on.nodes %}
      {% do dependents.append(api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias)) %}
    {% endfor %}
    {% for name, type in narrow %}
      {% set widen = tessera.widen_column_sql(target_relation, name, type, dependents) %}
      {% if widen %}{% call statement("tessera_widen_" ~ name) %}{{ widen }}{% endcall %}{% endif %}
    {% endfor %}
  {% endif %}
  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}
  {{ return({"relations": [target_relation]}) }}
{%- endmaterialization -%}
