{#- What every call into the brain needs to know about this dbt invocation. -#}
{% macro _invocation_payload() %}
  {#- the writer lock rides with the dialect: StateStore.exclusive() takes it -#}
  {% set dialect = tessera.sql_dialect() %}
  {% do dialect.update({"lock_sql": tessera.state_lock_sql()}) %}
  {{ return({
      "adapter": adapter,
      "graph": graph,
      "invocation_id": invocation_id,
      "project_name": project_name,
      "dbt_version": dbt_version,
      "command": flags.WHICH,
      "target": {"name": target.name, "type": target.type, "user": target.get("user")},
      "settings": tessera.settings(),
      "relations": tessera.state_relations(),
      "dialect": dialect,
  }) }}
{% endmacro %}
