{#- The audit log with retried writes folded away (one row per audit_id). -#}
{{ config(schema=tessera.setting("schema")) }}
with base as (

    select * from {{ ref("tessera_audit_log") }}

),

ranked as (

    select
        *,
        row_number() over (partition by audit_id order by recorded_at) as occurrence
    from base

)

select * from ranked where occurrence = 1
