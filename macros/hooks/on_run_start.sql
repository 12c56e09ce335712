{#- The package's on-run-start hook: before any node runs, the gate asks whether a selected
    asset's contract would change in a way that is breaking and unapproved (the same decision
    the on-run-end hook makes). vars.tessera.gate: `warn` (default) says so in one line per
    asset and the run goes on; `block` fails the invocation before anything is built; `off`
    skips the check. -#}
{% macro on_run_start() %}
  {{ return(adapter.dispatch("on_run_start", "tessera")()) }}
{% endmacro %}

{% macro default__on_run_start() %}
  {% if not execute %}{{ return("") }}{% endif %}
  {#- without the Python brain the on-run-end hook warns (or fails under strict) once -#}
  {% if tessera._brain_missing() %}{{ return("") }}{% endif %}
  {#- on a target that publishes, the settings that guard production (enabled and gate
      among them) are the committed ones: a --vars override stops the run here -#}
  {% do tessera._bridge("settings_check", {"adapter": adapter, "target": {"name": target.name}, "settings": tessera.settings()}) %}
  {% if not tessera.setting("enabled") %}{{ return("") }}{% endif %}
  {% set payload = tessera._invocation_payload() %}
  {#- a damaged state stops the run before dbt re-creates or re-columns a state table -#}
  {% set check = tessera._bridge("state_check", payload) %}
  {% for line in check.get("messages", []) %}{% do log(line, info=True) %}{% endfor %}
  {% if check.get("error") %}{% do exceptions.raise_compiler_error(check["error"]) %}{% endif %}
  {% if tessera.setting("gate") == "off" %}{{ return("") }}{% endif %}
  {% do payload.update({"selected": selected_resources | list}) %}
  {% set outcome = tessera._bridge("gate", payload) %}
  {% for line in outcome.get("messages", []) %}
    {% do log(line, info=True) %}
  {% endfor %}
  {% if outcome.get("error") %}
    {#- raised while dbt compiles the hook: the invocation stops before any node runs,
        whatever the project's skip_nodes_if_on_run_start_fails flag says -#}
    {% do exceptions.raise_compiler_error(outcome["error"]) %}
  {% endif %}
  {{ return("") }}
{% endmacro %}
