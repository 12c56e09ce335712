{#- The audit log with retried writes folded away (one row per audit_id). -#}
{{ config(schema=tessera.setting("schema")) }}
{{ tessera.deduplicate(ref("tessera_audit_log"), "audit_id") }}
