{#- dbt run-operation tessera.gate_check --args '{selected: [unique_id, ...]}': the
    on-run-start gate's verdict before a build where dbt loads no plugin (dbt Core v2),
    printed as one JSON line; `tessera gate` runs it and exits 1 on an unapproved breaking
    change (docs/dbt-v2.md). -#}
{% macro gate_check() %}
  {{ return(tessera._bridge_operation("gate_check", kwargs)) }}
{% endmacro %}
