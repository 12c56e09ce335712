{#- The one column list of the raw audit log: one row per executed dbt test per invocation.
    failures is 64-bit: a fail_calc over big amounts passes 2^31 (an older 32-bit column is
    widened by the tessera_state materialization). -#}
{% macro audit_columns() %}
  {{ return([
      ("audit_id", dbt.type_string()),
      ("invocation_id", dbt.type_string()),
      ("target_name", dbt.type_string()),
      ("asset", dbt.type_string()),
      ("guarantee", dbt.type_string()),
      ("test_unique_id", dbt.type_string()),
      ("test_name", dbt.type_string()),
      ("status", dbt.type_string()),
      ("failures", dbt.type_bigint()),
      ("execution_time", dbt.type_float()),
      ("executed_at", dbt.type_timestamp()),
      ("contract_version", dbt.type_string()),
      ("message", tessera.type_long_text()),
      ("recorded_at", dbt.type_timestamp()),
  ]) }}
{% endmacro %}
