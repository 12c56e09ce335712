{#- The package's on-run-end hook (declared in its dbt_project.yml, so it runs for every
    project that installs tessera): record one audit row per executed test and publish the
    contracts of the assets this run built. Calling it again from the user's own
    on-run-end records nothing twice (the brain remembers the invocation; event ids are
    deterministic). -#}
{% macro on_run_end(results) %}
  {{ return(adapter.dispatch("on_run_end", "tessera")(results)) }}
{% endmacro %}

{% macro default__on_run_end(results) %}
  {#- Never at parse or compile time, and not when switched off. -#}
  {% if not execute or not tessera.setting("enabled") %}{{ return("") }}{% endif %}
  {% do log("tessera: recording audit results and publishing contracts", info=False) %}
  {% set outcome = tessera._bridge("on_run_end", {
      "adapter": adapter,
      "results": results,
      "graph": graph,
      "invocation_id": invocation_id,
      "project_name": project_name,
      "dbt_version": dbt_version,
      "command": flags.WHICH,
      "target": {"name": target.name, "type": target.type, "user": target.get("user")},
      "settings": tessera.settings(),
      "relations": tessera.state_relations(),
      "dialect": tessera.sql_dialect(),
  }) %}
  {% for line in outcome.get("messages", []) %}
    {% do log(line, info=True) %}
  {% endfor %}
  {% if outcome.get("error") %}
    {{ return(tessera.fail_sql(outcome["error"])) }}
  {% endif %}
  {{ return("") }}
{% endmacro %}
