{#- Who could answer for each team, as the publishing runs recorded it (membership_recorded,
    written by the on-run-end hook whenever the committed membership changed): one row per
    team member and per admin of each recorded membership, in force from the run that
    recorded it until the next one (valid_to null: in force now). A run that held no
    membership has one `unconfigured` row: anyone could answer then. -#}
{{ config(schema=tessera.setting("schema")) }}
with recorded as (

    select invocation_id, fingerprint, recorded_at, team, status as membership_role,
           reason as warehouse_user
    from {{ ref("stg_tessera__events") }}
    where event_type = {{ tessera.word('event_type', 'membership_recorded') }}

),

runs as (

    select invocation_id, fingerprint, min(recorded_at) as recorded_at
    from recorded
    group by invocation_id, fingerprint

),

spans as (

    select
        invocation_id,
        fingerprint,
        recorded_at as valid_from,
        lead(recorded_at) over (order by recorded_at, invocation_id) as valid_to,
        row_number() over (order by recorded_at, invocation_id) as membership_number
    from runs

)

select
    spans.membership_number,
    recorded.team,
    recorded.warehouse_user,
    recorded.membership_role,
    spans.valid_from,
    spans.valid_to,
    case when spans.valid_to is null then true else false end as is_current,
    recorded.fingerprint
from recorded
inner join spans
    on recorded.invocation_id = spans.invocation_id
    and recorded.fingerprint = spans.fingerprint
