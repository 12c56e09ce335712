{#- One row per proposal and required team, from the moment the team is asked: `waiting`
    until it answers, then its latest counted answer while the proposal took answers, with
    the comment as given. As state.folds.fold_proposals: an answer after the settlement, the
    withdrawal or the forcing is ignored, and so is one from a team not asked, and one whose
    actor was no member of the team (int_tessera__authority; shown in ignored_why). -#}
{{ config(schema=tessera.setting("schema")) }}
{%- if target.type in ("spark", "databricks") %}
{{ tessera.spark_recorded_acknowledgments() }}
{%- else %}
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

ends as (

    {#- where each proposal stopped taking answers: the first of its settlement, counted
        withdrawal and counted forcing, in the log's order (recorded_at, then event id) -#}
    select proposal_id, recorded_at as ended_at, event_id as ended_by
    from (
        select
            proposal_id, recorded_at, event_id,
            row_number() over (partition by proposal_id order by recorded_at, event_id) as earliest
        from (
            select proposal_id, recorded_at, event_id from {{ ref("int_tessera__settlements") }}
            union all
            select proposal_id, recorded_at, event_id from {{ ref("int_tessera__authority") }}
            where counted
                and event_type in ({{ tessera.word('event_type', 'proposal_withdrawn') }}, {{ tessera.word('event_type', 'proposal_forced') }})
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
    from {{ ref("int_tessera__authority") }} as events
    left join ends on events.proposal_id = ends.proposal_id
    where events.event_type = {{ tessera.word('event_type', 'proposal_acknowledged') }}
        and events.counted
        and (ends.proposal_id is null
             or events.recorded_at < ends.ended_at
             or (events.recorded_at = ends.ended_at and events.event_id <= ends.ended_by))

),

latest as (

    select * from answers where recency = 1

),

ignored as (

    {#- answers no reader counts (their actor was no member), the latest one's why -#}
    select proposal_id, team, ignored_answers, ignored_why from (
        select
            proposal_id, team, ignored_why,
            count(*) over (partition by proposal_id, team) as ignored_answers,
            row_number() over (partition by proposal_id, team
                               order by recorded_at desc, event_id desc) as recency
        from {{ ref("int_tessera__authority") }}
        where event_type = {{ tessera.word('event_type', 'proposal_acknowledged') }}
            and not counted
    ) as answers_ignored
    where recency = 1

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
    coalesce(ignored.ignored_answers, 0) as ignored_answers,
    {{ dbt.concat(["ignored.ignored_why", "' ('", "cast(ignored.ignored_answers as " ~ dbt.type_string() ~ ")", "' answer(s) ignored)'"]) }} as ignored_why
from teams
left join asked on teams.proposal_id = asked.proposal_id and teams.team = asked.team
left join latest on teams.proposal_id = latest.proposal_id and teams.team = latest.team
left join ignored on teams.proposal_id = ignored.proposal_id and teams.team = ignored.team
{%- endif %}
