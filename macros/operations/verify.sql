{#- dbt run-operation tessera.verify --args '{format: text|json}': the event rows tessera
    did not write as they stand (edited or inserted by hand, or acted by a non-member);
    read-only (docs/security.md). -#}
{% macro verify() %}
  {% if not execute %}{{ return("") }}{% endif %}
  {% set payload = tessera._invocation_payload() %}
  {% do payload.update({"args": kwargs}) %}
  {% set outcome = tessera._bridge("verify", payload) %}
  {% for line in outcome.get("lines", []) %}
    {% do print(line) %}
  {% endfor %}
  {{ return("") }}
{% endmacro %}
