{#- The package's state tables (models/sources), where a build selects them as nodes (an
    explicit selection, or a dbt that loads no plugin; a default build leaves them to the
    on-run-end hook, tessera_dbt.runtime.package). Created once, never rebuilt, dropped or
    truncated. A table that is there with every column costs one column lookup and no
    DDL; otherwise, in one transaction under the state's writer lock
    (tessera.state_lock_sql()): `create table if not exists`, then any column a newer
    release lists that the table lacks is added and an older 32-bit column widened
    (tessera._alter_state). Concurrent first builds therefore never collide ("relation
    already exists"), and a damaged table is never re-created or re-columned here: the
    on-run-start hook refuses a damaged state before any model runs
    (tessera_dbt.state.integrity). -#}
{%- materialization tessera_state, default -%}
  {%- set target_relation = this.incorporate(type="table") -%}
  {%- set columns = tessera._state_columns(model.name) -%}
  {%- set existing = load_cached_relation(this) -%}
  {%- set found = adapter.get_columns_in_relation(existing) if existing is not none else [] -%}
  {%- set present = found | map(attribute="name") | map("lower") | list -%}
  {#- a column an older release made narrower (failures was 32-bit) -#}
  {%- set narrow = [] -%}
  {%- set bigint = dbt.type_bigint() | lower -%}
  {% for column in found %}
    {% for name, type in columns if column.name | lower == name and (type | lower) == bigint
        and (column.dtype | lower) in ("integer", "int", "int4", "int32", "smallint", "int2") %}
      {% do narrow.append(name) %}
    {% endfor %}
  {% endfor %}
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
      {{ tessera.create_state_table_sql(target_relation, columns) }}{{ tessera._fills_written_by(target_relation, columns) if existing is none else "" }}
    {%- endcall %}
    {%- set present = adapter.get_columns_in_relation(target_relation) | map(attribute="name") | map("lower") | list -%}
    {% do tessera._alter_state(model.name, columns | map(attribute=0) | reject("in", present) | list, narrow) %}
  {% endif %}
  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}
  {{ return({"relations": [target_relation]}) }}
{%- endmaterialization -%}
