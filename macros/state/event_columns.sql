{#- The one column list of the event log: it feeds the model's DDL (tessera_events) and
    the hook's inserts. New columns go at the end (on_schema_change: append_new_columns).
    `written_by` is never written by tessera: the warehouse fills it where it can
    (PostgreSQL: `default session_user`, tessera.written_by_default_sql), and writers are
    granted INSERT on every other column only, so attribution cannot be forged. -#}
{% macro event_columns() %}
  {{ return([
      ("event_id", dbt.type_string()),
      ("event_type", dbt.type_string()),
      ("asset", dbt.type_string()),
      ("version", dbt.type_string()),
      ("owner", dbt.type_string()),
      ("compatibility", dbt.type_string()),
      ("fingerprint", dbt.type_string()),
      ("proposal_id", dbt.type_string()),
      ("team", dbt.type_string()),
      ("status", dbt.type_string()),
      ("reason", tessera.type_long_text()),
      ("actor", dbt.type_string()),
      ("invocation_id", dbt.type_string()),
      ("target_name", dbt.type_string()),
      ("recorded_at", dbt.type_timestamp()),
      ("payload", tessera.type_long_text()),
      ("written_by", dbt.type_string()),
  ]) }}
{% endmacro %}
