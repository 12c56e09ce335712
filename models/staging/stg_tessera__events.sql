{#- The event log with retried writes folded away (one row per event_id). -#}
{{ config(schema=tessera.setting("schema")) }}
with base as (

    select * from {{ ref("tessera_events") }}

),

ranked as (

    select
        *,
        row_number() over (partition by event_id order by recorded_at) as occurrence
    from base

)

select * from ranked where occurrence = 1
