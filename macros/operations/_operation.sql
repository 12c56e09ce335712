{#- Run one tessera operation in the brain and print its summary. The operation checks its
    arguments before writing anything. -#}
{% macro _operation(op, args) %}
  {% if not execute %}{{ return("") }}{% endif %}
  {% set outcome = tessera._bridge("operation", {
      "op": op,
      "args": args,
      "adapter": adapter,
      "graph": graph,
      "invocation_id": invocation_id,
      "project_name": project_name,
      "dbt_version": dbt_version,
      "target": {"name": target.name, "type": target.type, "user": target.get("user")},
      "settings": tessera.settings(),
      "relations": tessera.state_relations(),
      "dialect": tessera.sql_dialect(),
  }) %}
  {% for line in outcome.get("lines", []) %}
    {% do print(line) %}
  {% endfor %}
  {{ return("") }}
{% endmacro %}
