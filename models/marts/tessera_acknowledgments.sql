{#- One row per proposal and required team, from the moment the team is asked: `waiting`
    until it answers, then its latest answer with the comment as given. -#}
{{ config(schema=tessera.setting("schema")) }}
with events as (

    select * from {{ ref("stg_tessera__events") }}
    where proposal_id is not null and team is not null

),

asked as (

    select proposal_id, team, max(asset) as asset, min(recorded_at) as asked_at
    from events
    where event_type = {{ tessera.word('event_type', 'proposal_required') }}
    group by proposal_id, team

),

answers as (

    select
        proposal_id,
        team,
        asset,
        status as response,
        reason as comment,
        payload,
        actor,
        recorded_at as acknowledged_at,
        row_number() over (
            partition by proposal_id, team order by recorded_at desc, event_id desc
        ) as recency
    from events
    where event_type = {{ tessera.word('event_type', 'proposal_acknowledged') }}

),

latest as (

    select * from answers where recency = 1

),

teams as (

    {#- an answer without a recorded ask (a log older than proposal_required) keeps its row -#}
    select distinct proposal_id, team from (
        select proposal_id, team from asked
        union all
        select proposal_id, team from latest
    ) as both_sides

)

select
    teams.proposal_id,
    teams.team,
    coalesce(asked.asset, latest.asset) as asset,
    coalesce(latest.response, {{ tessera.word('ack_state', 'waiting') }}) as response,
    latest.comment,
    latest.acknowledged_at,
    asked.asked_at,
    latest.actor,
    latest.payload as details
from teams
left join asked on teams.proposal_id = asked.proposal_id and teams.team = asked.team
left join latest on teams.proposal_id = latest.proposal_id and teams.team = latest.team
