{#- One row per executed dbt test per invocation, written by the on-run-end hook. -#}
{{ config(schema=tessera.setting("schema"), file_format=tessera.state_file_format()) }}
{{ tessera.empty_table(tessera.audit_columns()) }}
