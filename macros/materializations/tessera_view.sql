{#- The package's views (staging and marts). dbt's view materialization renames the old
    view to `__dbt_backup` and a new `__dbt_tmp` into place, which collides when two builds
    run at once. This one (re)creates the view in one transaction under the state's writer
    lock (tessera.state_lock_sql()), and not at all when the view already holds this exact
    SQL: the compiled SQL's hash is kept with the view (tessera._view_hash), so an unchanged
    package costs one catalog lookup per view and every build. -#}
{%- materialization tessera_view, default -%}
  {%- set target_relation = this.incorporate(type="view") -%}
  {%- set existing = load_cached_relation(this) -%}
  {%- set wanted = "tessera:" ~ local_md5(sql) -%}
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
    {% if existing is not none and existing.type != "view" %}
      {{ drop_relation_if_exists(existing) }}
    {% endif %}
    {% for statement_sql in tessera._replace_view_sql(target_relation, sql) %}
      {% call statement("main" if loop.last else "tessera_replace_" ~ loop.index) -%}
        {{ statement_sql }}
      {%- endcall %}
    {% endfor %}
    {% set keep_hash = tessera._view_hash_sql(target_relation, wanted) %}
    {% if keep_hash %}
      {% call statement("tessera_view_hash") %}{{ keep_hash }}{% endcall %}
    {% endif %}
    {% do persist_docs(target_relation, model) %}
  {% endif %}
  {% do apply_grants(target_relation, config.get("grants"), should_revoke=true) %}
  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}
  {{ return({"relations": [target_relation]}) }}
{%- endmaterialization -%}
