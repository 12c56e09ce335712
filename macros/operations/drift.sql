{#- dbt run-operation tessera.drift --args '{model: NAME, format: text|json}': every
    published contract (or one) against its live relation; fails naming each drifted asset
    (docs/contracts.md, "Drift"). -#}
{% macro drift() %}
  {{ return(tessera._bridge_operation("drift", kwargs)) }}
{% endmacro %}
