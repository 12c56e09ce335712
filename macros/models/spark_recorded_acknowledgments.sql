{#- tessera_acknowledgments on Spark and Databricks: Spark inlines every reference to a view,
    and the authority-aware models (int_tessera__authority, int_tessera__settlements) nest
    so many that planning a query on tessera_proposals there exhausts a 2 GB driver heap.
    There the BI models follow the settlement the brain recorded (proposal_resolved) and
    count every answer; the readers that act (gate, hook, status, export, verify) judge
    authority in Python on every engine (docs/spark.md, "What the BI models show"). -#}
{% macro spark_recorded_acknowledgments() %}
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

settlements as (

    {#- the event that settled each proposal, as the brain recorded it (proposal_resolved's
        reason); older settlements without one end nothing -#}
    select settling.proposal_id, settling.recorded_at, settling.event_id
    from {{ ref("stg_tessera__events") }} as resolved
    inner join {{ ref("stg_tessera__events") }} as settling
        on settling.event_id = resolved.reason
    where resolved.event_type = {{ tessera.word('event_type', 'proposal_resolved') }}

),

ends as (

    {#- where each proposal stopped taking answers: the first of its settlement, withdrawal
        and forcing, in the log's order (recorded_at, then event id) -#}
    select proposal_id, recorded_at as ended_at, event_id as ended_by
    from (
        select
            proposal_id, recorded_at, event_id,
            row_number() over (partition by proposal_id order by recorded_at, event_id) as earliest
        from (
            select proposal_id, recorded_at, event_id from settlements
            union all
            select proposal_id, recorded_at, event_id from {{ ref("stg_tessera__events") }}
            where event_type in ({{ tessera.word('event_type', 'proposal_withdrawn') }}, {{ tessera.word('event_type', 'proposal_forced') }})
        ) as endings
    ) as ranked
    where earliest = 1

),

answers as (

    select
        events.proposal_id,
        events.team,
        events.asset,
        events.status as response,
        events.reason as comment,
        events.payload,
        events.actor,
        events.recorded_at as acknowledged_at,
        row_number() over (
            partition by events.proposal_id, events.team
            order by events.recorded_at desc, events.event_id desc
        ) as recency
    from events
    left join ends on events.proposal_id = ends.proposal_id
    where events.event_type = {{ tessera.word('event_type', 'proposal_acknowledged') }}
        and (ends.proposal_id is null
             or events.recorded_at < ends.ended_at
             or (events.recorded_at = ends.ended_at and events.event_id <= ends.ended_by))

),

latest as (

    select * from answers where recency = 1

),

asking as (

    select distinct proposal_id from asked

),

teams as (

    {#- an answer from a team not asked is ignored (as by the fold); one without any
        recorded ask (a log older than proposal_required) keeps its row -#}
    select distinct proposal_id, team from (
        select proposal_id, team from asked
        union all
        select latest.proposal_id, latest.team from latest
        left join asking on latest.proposal_id = asking.proposal_id
        where asking.proposal_id is null
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
    latest.payload as details,
    0 as ignored_answers,
    cast(null as {{ dbt.type_string() }}) as ignored_why
from teams
left join asked on teams.proposal_id = asked.proposal_id and teams.team = asked.team
left join latest on teams.proposal_id = latest.proposal_id and teams.team = latest.team
{% endmacro %}
