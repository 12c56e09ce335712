{#- dbt run-operation tessera.report --args '{out: report.html, days: 30}': one
    self-contained HTML report of contracts, proposals, consumers and audit trends
    (read-only; docs/operations.md). -#}
{% macro report() %}
  {% if not execute %}{{ return("") }}{% endif %}
  {% set payload = tessera._invocation_payload() %}
  {% do payload.update({"args": kwargs, "marts": tessera.mart_relations(["tessera_audit_runs"])}) %}
  {% set outcome = tessera._bridge("report", payload) %}
  {% for line in outcome.get("lines", []) %}
    {% do print(line) %}
  {% endfor %}
  {{ return("") }}
{% endmacro %}
