{#- A model's pre-hook, `+pre-hook: "{{ tessera.guard() }}"`: the on-run-start gate sees
    each selected model's parents as they were before the run; the guard judges the model
    again on what its compiled SQL serves once this run built its parents, before its
    relation is replaced. Under vars.tessera.gate: block an unapproved breaking change fails
    the model (dbt skips its children); under warn it says so in one line. Renders no SQL. -#}
{% macro guard() %}
  {% if not execute or not tessera.setting("enabled") or tessera.setting("gate") == "off" %}
    {{ return("") }}
  {% endif %}
  {% if tessera._brain_missing() %}{{ return("") }}{% endif %}
  {% set payload = tessera._invocation_payload() %}
  {% do payload.update({"unique_id": model.unique_id, "sql": model.compiled_code or sql}) %}
  {% set outcome = tessera._bridge("guard", payload) %}
  {% for line in outcome.get("messages", []) %}
    {% do log(line, info=True) %}
  {% endfor %}
  {% if outcome.get("error") %}
    {% do exceptions.raise_compiler_error(outcome["error"]) %}
  {% endif %}
  {{ return("") }}
{% endmacro %}
