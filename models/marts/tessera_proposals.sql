{#- One row per proposal with its status: its settlement by the answers that count
    (int_tessera__settlements, never a proposal_resolved row, which anyone with INSERT
    could forge), counted withdrawals and forcings, its publication; a pending proposal
    past the deadline the brain recorded shows as expired. -#}
{{ config(schema=tessera.setting("schema")) }}
{%- if target.type in ("spark", "databricks") %}
{{ tessera.spark_recorded_proposals() }}
{%- else %}
with events as (

    select * from {{ ref("stg_tessera__events") }}
    where proposal_id is not null

),

created as (

    select proposal_id, asset, version as proposed_version, owner, reason,
           recorded_at as created_at
    from events
    where event_type = {{ tessera.word('event_type', 'proposal_created') }}

),

approvals as (

    {#- when each proposal was approved by its answers (or at its creation, when nobody
        must answer): computed from the answers that count, never read from a
        proposal_resolved row -#}
    select proposal_id, recorded_at, event_id from {{ ref("int_tessera__settlements") }}
    where status = {{ tessera.word('proposal_status', 'approved') }}

),

decisions as (

    {#- withdrawals and forcings whose actor may act (int_tessera__authority) -#}
    select proposal_id, event_type, status, reason, recorded_at, event_id
    from {{ ref("int_tessera__authority") }}
    where counted
        and event_type in ({{ tessera.word('event_type', 'proposal_withdrawn') }}, {{ tessera.word('event_type', 'proposal_forced') }})

),

first_forcings as (

    select proposal_id, recorded_at, event_id from (
        select proposal_id, recorded_at, event_id,
               row_number() over (partition by proposal_id order by recorded_at, event_id)
                   as earliest
        from decisions
        where event_type = {{ tessera.word('event_type', 'proposal_forced') }}
    ) as ranked
    where earliest = 1

),

withdrawals as (

    {#- as the fold: a withdrawal counts while the proposal is pending or approved, so not
        while it stands rejected (after a rejection, unless a forcing came before it) -#}
    select withdrawn.proposal_id, withdrawn.event_type, withdrawn.status,
           withdrawn.recorded_at, withdrawn.event_id
    from decisions as withdrawn
    left join {{ ref("int_tessera__settlements") }} as rejection
        on withdrawn.proposal_id = rejection.proposal_id
        and rejection.status = {{ tessera.word('proposal_status', 'rejected') }}
    left join first_forcings as forcing on withdrawn.proposal_id = forcing.proposal_id
    where withdrawn.event_type = {{ tessera.word('event_type', 'proposal_withdrawn') }}
        and (rejection.proposal_id is null
             or withdrawn.recorded_at < rejection.recorded_at
             or (withdrawn.recorded_at = rejection.recorded_at
                 and withdrawn.event_id < rejection.event_id)
             or forcing.recorded_at < withdrawn.recorded_at
             or (forcing.recorded_at = withdrawn.recorded_at
                 and forcing.event_id < withdrawn.event_id))

),

closings as (

    {#- each proposal's first approval or withdrawal, in the log's order -#}
    select proposal_id, recorded_at as closed_at, event_id as closed_by
    from (
        select
            proposal_id, recorded_at, event_id,
            row_number() over (partition by proposal_id order by recorded_at, event_id) as earliest
        from (
            select proposal_id, recorded_at, event_id from approvals
            union all
            select proposal_id, recorded_at, event_id from withdrawals
        ) as closing
    ) as ranked
    where earliest = 1

),

forcings as (

    {#- as the fold: a forcing counts while the proposal is pending or rejected, so not
        after its approval or withdrawal (racing writers without a lock record both) -#}
    select events.proposal_id, events.event_type, events.status, events.reason,
           events.recorded_at
    from decisions as events
    left join closings on events.proposal_id = closings.proposal_id
    where events.event_type = {{ tessera.word('event_type', 'proposal_forced') }}
        and (closings.proposal_id is null
             or events.recorded_at < closings.closed_at
             or (events.recorded_at = closings.closed_at and events.event_id < closings.closed_by))

),

moves as (

    select proposal_id, {{ tessera.word('event_type', 'proposal_resolved') }} as event_type,
           status, recorded_at
    from {{ ref("int_tessera__settlements") }}
    union all
    select proposal_id, event_type, status, recorded_at from withdrawals
    union all
    select proposal_id, event_type, status, recorded_at from events
    where event_type = {{ tessera.word('event_type', 'proposal_published') }}
    union all
    select proposal_id, event_type, status, recorded_at from forcings

),

transitions as (

    select
        proposal_id,
        case when event_type = {{ tessera.word('event_type', 'proposal_withdrawn') }} then {{ tessera.word('proposal_status', 'withdrawn') }}
             when event_type = {{ tessera.word('event_type', 'proposal_published') }} then {{ tessera.word('proposal_status', 'published') }}
             else status end as status,
        recorded_at,
        row_number() over (
            partition by proposal_id
            order by recorded_at desc,
                     case event_type when {{ tessera.word('event_type', 'proposal_published') }} then 1
                                     when {{ tessera.word('event_type', 'proposal_withdrawn') }} then 2
                                     when {{ tessera.word('event_type', 'proposal_forced') }} then 3
                                     else 4 end
        ) as recency
    from moves

),

latest as (

    select proposal_id, status, recorded_at as resolved_at from transitions where recency = 1

),

changes as (

    select proposal_id, payload as breaking_changes from events
    where event_type = {{ tessera.word('event_type', 'proposal_changes') }}

),

required as (

    select proposal_id, count(distinct team) as required_acks from events
    where event_type = {{ tessera.word('event_type', 'proposal_required') }}
    group by proposal_id

),

received as (

    {#- the answers the fold counts: from teams asked, while the proposal took answers -#}
    select proposal_id, count(*) as received_acks from {{ ref("tessera_acknowledgments") }}
    where response <> {{ tessera.word('ack_state', 'waiting') }}
    group by proposal_id

),

deadlines as (

    select proposal_id, max(cast(reason as {{ dbt.type_timestamp() }})) as expires_at
    from events
    where event_type = {{ tessera.word('event_type', 'proposal_deadline') }}
    group by proposal_id

),

forced as (

    select proposal_id, max(reason) as force_reason from forcings
    group by proposal_id

)

select
    created.proposal_id,
    created.asset,
    case when latest.status is not null then latest.status
         when deadlines.expires_at <= {{ tessera.current_timestamp_utc() }} then {{ tessera.word('proposal_status', 'expired') }}
         else {{ tessera.word('proposal_status', 'pending') }} end as status,
    created.proposed_version,
    changes.breaking_changes,
    coalesce(required.required_acks, 0) as required_acks,
    coalesce(received.received_acks, 0) as received_acks,
    created.owner,
    created.reason,
    case when forced.proposal_id is not null then true else false end as forced,
    forced.force_reason,
    created.created_at,
    case when latest.status is not null then latest.resolved_at
         when deadlines.expires_at <= {{ tessera.current_timestamp_utc() }} then deadlines.expires_at
         end as resolved_at,
    deadlines.expires_at
from created
left join latest on created.proposal_id = latest.proposal_id
left join changes on created.proposal_id = changes.proposal_id
left join required on created.proposal_id = required.proposal_id
left join received on created.proposal_id = received.proposal_id
left join forced on created.proposal_id = forced.proposal_id
left join deadlines on created.proposal_id = deadlines.proposal_id
{%- endif %}
