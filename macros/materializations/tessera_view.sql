{#- The package's views (staging, intermediate and marts), where a build selects them as
    nodes (an explicit selection, or a dbt that loads no plugin; a default build leaves
    them to the on-run-end hook, tessera_dbt.runtime.package). dbt's view materialization
    renames the old view to `__dbt_backup` and a new `__dbt_tmp` into place, which collides
    when two builds run at once. This one (re)creates the view in one transaction under
    the state's writer lock (tessera.state_lock_sql()), and not at all when the view
    already holds this definition: the hash of its definition is kept with the view
    (tessera._view_hash), the same hash the hook keeps (the brain computes it; without
    the plugin, the hash of the compiled SQL). -#}
{%- materialization tessera_view, default -%}
  {%- set target_relation = this.incorporate(type="view") -%}
  {%- set existing = load_cached_relation(this) -%}
  {#- the hash the on-run-end hook keeps (runtime.package.view_hash); without the plugin,
      the compiled SQL's -#}
  {%- set wanted = "tessera:" ~ local_md5(sql) if tessera._brain_missing() else tessera._bridge("view_hash",
        {"adapter": adapter, "graph": graph, "unique_id": model.unique_id, "settings": tessera.settings()}) -%}
  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}
  {%- set unchanged = existing is not none and existing.type == "view"
                      and tessera._view_hash(target_relation) == wanted -%}
  {%- set lock = "" if unchanged else tessera.state_lock_sql() -%}
  {% if lock %}
    {% call statement("tessera_lock", auto_begin=True) %}{{ lock }}{% endcall %}
    {#- asked again under the lock: a concurrent build may have created this exact view
        while this one waited, and re-creating it (PostgreSQL: drop ... cascade) would drop
        the views that build has since created on top of it -#}
    {%- set unchanged = tessera._view_hash(target_relation) == wanted -%}
  {% endif %}
  {% if unchanged %}
    {#- a trivial statement, not noop_statement: it opens the transaction the commit below closes (PostgreSQL) -#}
    {% call statement("main") -%}select 1 as unchanged{%- endcall %}
  {% else %}
    {% set replaces = "table" if existing is not none and existing.type != "view" else none %}
    {% for statement_sql in tessera._replace_view_sql(target_relation, sql, wanted, replaces) %}
      {% call statement("main" if loop.last else "tessera_replace_" ~ loop.index) -%}
        {{ statement_sql }}
      {%- endcall %}
    {% endfor %}
    {% do persist_docs(target_relation, model) %}
  {% endif %}
  {% do apply_grants(target_relation, config.get("grants"), should_revoke=true) %}
  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}
  {{ return({"relations": [target_relation]}) }}
{%- endmaterialization -%}
