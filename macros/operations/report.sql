{#- dbt run-operation tessera.report --args '{out: report.html, days: 30}': one
    self-contained HTML report of contracts, proposals, consumers and audit trends
    (read-only; docs/operations.md). -#}
{% macro report() %}
  {{ return(tessera._bridge_operation("report", kwargs,
      {"marts": tessera.mart_relations(["tessera_audit_runs"])} if execute else {})) }}
{% endmacro %}
