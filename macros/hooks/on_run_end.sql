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
  {#- Without the Python brain the user's dbt keeps its own result: one warning, unless
      strict asks for the run to fail. -#}
  {% set missing = tessera._brain_missing() %}
  {% if missing %}
    {% if tessera.setting("strict") %}{{ return(tessera.fail_sql(missing)) }}{% endif %}
    {% do log("tessera: WARNING: nothing recorded or published. " ~ (missing | replace("tessera: ", "", 1)), info=True) %}
    {{ return("") }}
  {% endif %}
  {% do log("tessera: recording audit results and publishing contracts", info=False) %}
  {% set payload = tessera._invocation_payload() %}
  {% do payload.update({"results": results}) %}
  {% set outcome = tessera._bridge("on_run_end", payload) %}
  {% for line in outcome.get("messages", []) %}
    {% do log(line, info=True) %}
  {% endfor %}
  {% if outcome.get("error") %}
    {{ return(tessera.fail_sql(outcome["error"])) }}
  {% endif %}
  {{ return("") }}
{% endmacro %}
