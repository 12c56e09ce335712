{#- dbt run-operation tessera.audit --args '{model: fct_orders, days: 14, format: text}':
    audit history, trends and alerts read from the audit models (read-only; docs/audit.md). -#}
{% macro audit() %}
  {% if not execute %}{{ return("") }}{% endif %}
  {% set payload = tessera._invocation_payload() %}
  {% do payload.update({"args": kwargs, "marts": tessera.mart_relations(
      ["tessera_audit_runs", "tessera_audit_trends", "tessera_audit_guarantees", "tessera_audit_alerts"])}) %}
  {% set outcome = tessera._bridge("audit_report", payload) %}
  {% for line in outcome.get("lines", []) %}
    {% do print(line) %}
  {% endfor %}
  {{ return("") }}
{% endmacro %}
