{#- What every call into the brain needs to know about this dbt invocation. -#}
{% macro _invocation_payload() %}
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
      "dialect": tessera.sql_dialect(),
  }) }}
{% endmacro %}
