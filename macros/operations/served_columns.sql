{#- dbt run-operation tessera.served_columns --args '{out: FILE}': what the relation of every
    asset under contract that dbt does not hold to its YAML serves now, as JSON (what
    `tessera check --live` reads); read-only. -#}
{% macro served_columns() %}
  {% if not execute %}{{ return("") }}{% endif %}
  {% set payload = tessera._invocation_payload() %}
  {% do payload.update({"args": kwargs}) %}
  {% set outcome = tessera._bridge("served_columns", payload) %}
  {% for line in outcome.get("lines", []) %}
    {% do print(line) %}
  {% endfor %}
  {{ return("") }}
{% endmacro %}
