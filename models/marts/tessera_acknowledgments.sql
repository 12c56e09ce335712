{#- One row per proposal and answering team. -#}
{{ config(schema=tessera.setting("schema")) }}
with acks as (

    select
        proposal_id,
        team,
        status as response,
        payload,
        actor,
        recorded_at as acknowledged_at,
        row_number() over (partition by proposal_id, team order by recorded_at desc) as recency
    from {{ ref("stg_tessera__events") }}
    where event_type = {{ tessera.word('event_type', 'proposal_acknowledged') }}

)

select proposal_id, team, response, payload as details, actor, acknowledged_at
from acks
where recency = 1
