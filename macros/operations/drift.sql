{#- dbt run-operation tessera.drift --args '{model: NAME, format: text|json}': every
    published contract (or one) against its live relation; fails naming each drifted asset
    (docs/contracts.md, "Drift"). -#}
{% macro drift() %}
  {% if not execute %}{{ return("") }}{% endif %}
  {% set payload = tessera._invocation_payload() %}
  {% do payload.update({"args": kwargs}) %}
  {% set outcome = tessera._bridge("drift", payload) %}
  {% for line in outcome.get("lines", []) %}
    {% do print(line) %}
  {% endfor %}
  {% if outcome.get("error") %}
    {% do exceptions.raise_compiler_error(outcome["error"]) %}
  {% endif %}
  {{ return("") }}
{% endmacro %}
