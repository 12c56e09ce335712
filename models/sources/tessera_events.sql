{#- The append-only event log: every publish, unapproved change, proposal and
    acknowledgment. Written only by tessera's hook and operations (inserts, deterministic
    event ids); this model only creates it, typed and empty. -#}
{{ config(schema=tessera.setting("schema"), file_format=tessera.state_file_format()) }}
{{ tessera.empty_table(tessera.event_columns()) }}
