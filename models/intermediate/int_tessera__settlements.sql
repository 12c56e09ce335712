{#- Each proposal settled by its answers: approved when every required team has answered
    (approved or migrating), rejected at the first `blocked`, as engine.proposal.settle, from
    the answers that count (int_tessera__authority) before the first counted withdrawal or
    forcing; and a proposal nobody must answer, approved at its creation. One row per settled
    proposal: status, when, and the event that settled it. A proposal_resolved row is a
    cache of this decision written by the operations, never its source. -#}
{{ config(schema=tessera.setting("schema")) }}
with required as (

    select distinct proposal_id, team from {{ ref("stg_tessera__events") }}
    where event_type = {{ tessera.word('event_type', 'proposal_required') }}

),

required_count as (

    select proposal_id, count(*) as teams from required group by proposal_id

),

decisions as (

    select proposal_id, recorded_at, event_id,
           row_number() over (partition by proposal_id order by recorded_at, event_id)
               as earliest
    from {{ ref("int_tessera__authority") }}
    where counted
        and event_type in ({{ tessera.word('event_type', 'proposal_withdrawn') }}, {{ tessera.word('event_type', 'proposal_forced') }})

),

answers as (

    select
        acts.proposal_id, acts.team, acts.status as response, acts.recorded_at,
        acts.event_id,
        row_number() over (partition by acts.proposal_id
                           order by acts.recorded_at, acts.event_id) as position
    from {{ ref("int_tessera__authority") }} as acts
    inner join required on acts.proposal_id = required.proposal_id
        and acts.team = required.team
    left join decisions on acts.proposal_id = decisions.proposal_id
        and decisions.earliest = 1
    where acts.counted
        and acts.event_type = {{ tessera.word('event_type', 'proposal_acknowledged') }}
        and (decisions.proposal_id is null
             or acts.recorded_at < decisions.recorded_at
             or (acts.recorded_at = decisions.recorded_at
                 and acts.event_id < decisions.event_id))

),

firsts as (

    select proposal_id, team, min(position) as position from answers
    group by proposal_id, team

),

completions as (

    {#- the answer after which every required team had answered -#}
    select firsts.proposal_id, max(firsts.position) as position
    from firsts
    inner join required_count on firsts.proposal_id = required_count.proposal_id
    group by firsts.proposal_id, required_count.teams
    having count(*) = max(required_count.teams)

),

blocks as (

    select proposal_id, min(position) as position from answers
    where response = {{ tessera.word('response', 'blocked') }}
    group by proposal_id

),

settling as (

    select
        answers.proposal_id,
        case when blocks.position is not null
                  and (completions.position is null or blocks.position <= completions.position)
             then blocks.position else completions.position end as position,
        case when blocks.position is not null
                  and (completions.position is null or blocks.position <= completions.position)
             then {{ tessera.word('proposal_status', 'rejected') }}
             else {{ tessera.word('proposal_status', 'approved') }} end as status
    from (select distinct proposal_id from answers) as answers
    left join blocks on answers.proposal_id = blocks.proposal_id
    left join completions on answers.proposal_id = completions.proposal_id
    where blocks.proposal_id is not null or completions.proposal_id is not null

)

select settling.proposal_id, settling.status, answers.recorded_at, answers.event_id
from settling
inner join answers on settling.proposal_id = answers.proposal_id
    and settling.position = answers.position

union all

select created.proposal_id, created.status, created.recorded_at, created.event_id
from {{ ref("stg_tessera__events") }} as created
left join required_count on created.proposal_id = required_count.proposal_id
where created.event_type = {{ tessera.word('event_type', 'proposal_created') }}
    and created.status = {{ tessera.word('proposal_status', 'approved') }}
    and required_count.proposal_id is null
