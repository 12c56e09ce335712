{#- dbt run-operation tessera.verify --args '{format: text|json}': the event rows tessera
    did not write as they stand (edited or inserted by hand, or acted by a non-member);
    read-only (docs/security.md). -#}
{% macro verify() %}
  {{ return(tessera._bridge_operation("verify", kwargs)) }}
{% endmacro %}
