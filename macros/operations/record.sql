{#- dbt run-operation tessera.record --args '{run_results: target/run_results.json}': the
    on-run-end hook's job for a run made where dbt loaded no plugin (dbt Core v2): records
    its audit rows and publishes what it built, as the hook would have; a run recorded
    twice records nothing new. `tessera record` runs it for you (docs/dbt-v2.md). -#}
{% macro record() %}
  {{ return(tessera._bridge_operation("record", kwargs)) }}
{% endmacro %}
