{#- dbt run-operation tessera.audit --args '{model: fct_orders, days: 14, format: text}':
    audit history, trends and alerts read from the audit models (read-only; docs/audit.md). -#}
{% macro audit() %}
  {{ return(tessera._bridge_operation("audit_report", kwargs, {"marts": tessera.mart_relations(
      ["tessera_audit_runs", "tessera_audit_trends", "tessera_audit_guarantees", "tessera_audit_alerts"])} if execute else {})) }}
{% endmacro %}
