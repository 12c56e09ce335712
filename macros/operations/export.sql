{#- dbt run-operation tessera.export --args '{out: DIR}': the target's published contracts,
    proposals and registrations as files, for `tessera check --baseline DIR` (read-only);
    with `format: odcs`, one ODCS v3.1.0 document per contract instead. -#}
{% macro export() %}
  {{ return(tessera._operation("export", kwargs)) }}
{% endmacro %}
