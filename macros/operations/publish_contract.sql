{#- dbt run-operation tessera.publish_contract --args '{file: PATH, propose: false, reason: ...}':
    publish a hand-written contract (ODCS v3.1.0 or a tessera contract document) of an asset
    dbt does not build, under the same rules and proposals as dbt assets. -#}
{% macro publish_contract() %}
  {{ return(tessera._operation("publish_contract", kwargs)) }}
{% endmacro %}
