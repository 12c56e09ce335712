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
  {%- set present = (adapter.get_columns_in_relation(existing) | map(attribute="name") | map("lower") | list) if existing is not none else [] -%}
  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}
  {% if existing is not none and columns | map(attribute=0) | reject("in", present) | list | length == 0 %}
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
  {% endif %}
  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}
  {{ return({"relations": [target_relation]}) }}
{%- endmaterialization -%}
