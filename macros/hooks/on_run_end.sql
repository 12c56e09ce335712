{#- The package's on-run-end hook (declared in its dbt_project.yml, so it runs for every
    project that installs tessera): record one audit row per executed test and publish the
    contracts of the assets this run built (tessera_dbt.runtime.hook decides and writes).
    Calling it again from the user's own on-run-end records nothing twice (the brain
    remembers the invocation; event ids are deterministic). -#}
{% macro on_run_end(results) %}
  {#- Never at parse or compile time, and not when switched off. -#}
  {% if not execute %}{{ return("") }}{% endif %}
  {% set settings = tessera.settings() %}
  {% if not settings["enabled"] %}{{ return("") }}{% endif %}
  {#- Without the Python brain the user's dbt keeps its own result: one warning, unless
      strict asks for the run to fail. -#}
  {% set missing = tessera._brain_missing() %}
  {% if missing %}
    {% if settings["strict"] %}{{ return(tessera.fail_sql(missing)) }}{% endif %}
    {% do log("tessera: WARNING: nothing recorded or published. " ~ (missing | replace("tessera: ", "", 1)), info=True) %}
    {{ return("") }}
  {% endif %}
  {% set payload = tessera._invocation_payload(settings) %}
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
