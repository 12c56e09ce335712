{#- What every call into the brain needs to know about this dbt invocation (`settings`:
    tessera.settings(), when the caller has them already). `state_relations` goes along
    uncalled: the brain calls it with ddl=true only when a state table must be created. -#}
{% macro _invocation_payload(settings=none) %}
  {#- the writer lock rides with the dialect: StateStore.exclusive() takes it -#}
  {% set dialect = tessera.sql_dialect() %}
  {#- and the macros that keep the package's relations, handed over uncalled (runtime.package) -#}
  {% do dialect.update({"lock_sql": tessera.state_lock_sql(), "state_relations": tessera.state_relations,
                        "alter_state": tessera._alter_state, "replace_view_sql": tessera._replace_view_sql}) %}
  {{ return({
      "adapter": adapter,
      "graph": graph,
      "invocation_id": invocation_id,
      "project_name": project_name,
      "dbt_version": dbt_version,
      "command": flags.WHICH,
      "target": {"name": target.name, "type": target.type, "user": target.get("user")},
      "settings": settings if settings is not none else tessera.settings(),
      "relations": tessera.state_relations(),
      "dialect": dialect,
  }) }}
{% endmacro %}
