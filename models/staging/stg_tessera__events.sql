{#- The event log with retried writes folded away (one row per event_id). -#}
{{ config(schema=tessera.setting("schema")) }}
{{ tessera.deduplicate(ref("tessera_events"), "event_id") }}
