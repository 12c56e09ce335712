{#- dbt run-operation tessera.audit_ingest --args '{run_results: [PATH], manifest: PATH, sources: [PATH]}':
    record the audit rows of runs made without the on-run-end hook (docs/audit.md). -#}
{% macro audit_ingest() %}
  {{ return(tessera._bridge_operation("audit_ingest", kwargs)) }}
{% endmacro %}
