{#- One row per asset: its current contract (or its retirement), open proposals, how
    its guarantees fare, the invalid config its latest run reported and the drift of its
    live relation. -#}
{{ config(schema=tessera.setting("schema")) }}
with current_contracts as (

    select asset, owner, version as current_version, published_at
    from {{ ref("tessera_contracts") }}
    where is_current

),

retirements as (

    {#- the latest retirement of an asset with no version in force since -#}
    select events.asset, max(events.recorded_at) as retired_at
    from {{ ref("stg_tessera__events") }} as events
    left join current_contracts on events.asset = current_contracts.asset
    where events.event_type = {{ tessera.word('event_type', 'contract_retired') }}
        and current_contracts.asset is null
    group by events.asset

),

last_published as (

    select asset, owner, version, published_at
    from (
        select
            asset, owner, version, published_at,
            row_number() over (partition by asset order by published_at desc) as recency
        from {{ ref("tessera_contracts") }}
    ) as ranked
    where recency = 1

),

assets as (

    select asset, owner, current_version, published_at, cast(null as {{ dbt.type_timestamp() }}) as retired_at,
        {{ tessera.word('lifecycle', 'current') }} as lifecycle
    from current_contracts
    union all
    select retirements.asset, last_published.owner, cast(null as {{ dbt.type_string() }}) as current_version,
        last_published.published_at, retirements.retired_at,
        {{ tessera.word('lifecycle', 'retired') }} as lifecycle
    from retirements
    left join last_published on retirements.asset = last_published.asset

),

open_proposals as (

    select asset, count(*) as open_proposals
    from {{ ref("tessera_proposals") }}
    where status in ({{ tessera.word('proposal_status', 'pending') }}, {{ tessera.word('proposal_status', 'approved') }})
    group by asset

),

trends as (

    {#- The audit figures come from tessera_audit_trends, so BI and `tessera audit` agree:
        pass / warn / fail is the latest run's status (a warning is a pass with a warning). -#}
    select
        asset,
        case
            when last_run_status in ({{ tessera.word('run_status', 'failed') }}, {{ tessera.word('run_status', 'partial') }}) then {{ tessera.word('test_status', 'fail') }}
            when last_run_has_warnings then {{ tessera.word('test_status', 'warn') }}
            else {{ tessera.word('test_status', 'pass') }}
        end as last_audit_status,
        case when runs_30d > 0 then 1 - failure_rate_30d end as audit_pass_rate_30d
    from {{ ref("tessera_audit_trends") }}

),

latest as (

    {#- the latest asset_error and drift_detected of each asset: an invalid config,
        contract or state (that run neither judged nor published its contract), and how its
        live relation differs from the contract (`tessera drift`, or the hook on what it
        read) -#}
    select asset, event_type, version, reason, recorded_at
    from (
        select
            asset, event_type, version, reason, recorded_at,
            row_number() over (partition by asset, event_type order by recorded_at desc, event_id desc) as recency
        from {{ ref("stg_tessera__events") }}
        where event_type in ({{ tessera.word('event_type', 'asset_error') }}, {{ tessera.word('event_type', 'drift_detected') }})
    ) as ranked
    where recency = 1

),

last_errors as (

    select asset, reason as last_error, recorded_at as last_error_at
    from latest
    where event_type = {{ tessera.word('event_type', 'asset_error') }}

),

last_seen as (

    {#- the asset's latest audit row or publication: one later than its error means a later
        run read its config again -#}
    select asset, max(seen_at) as seen_at
    from (
        select asset, recorded_at as seen_at from {{ ref("stg_tessera__audit_log") }}
        union all
        select asset, published_at as seen_at from {{ ref("tessera_contracts") }}
    ) as seen
    group by asset

),

last_drift as (

    select asset, version, reason as last_drift, recorded_at as last_drift_at
    from latest
    where event_type = {{ tessera.word('event_type', 'drift_detected') }}

),

current_drift as (

    select last_drift.asset, last_drift.last_drift, last_drift.last_drift_at
    from last_drift
    inner join current_contracts on last_drift.asset = current_contracts.asset
        and last_drift.version = current_contracts.current_version

),

current_errors as (

    select last_errors.asset, last_errors.last_error, last_errors.last_error_at
    from last_errors
    left join last_seen on last_errors.asset = last_seen.asset
    where last_seen.seen_at is null or last_seen.seen_at <= last_errors.last_error_at

)

select
    assets.asset,
    assets.owner,
    assets.current_version,
    assets.published_at,
    coalesce(open_proposals.open_proposals, 0) as open_proposals,
    trends.last_audit_status,
    trends.audit_pass_rate_30d,
    assets.lifecycle,
    assets.retired_at,
    current_errors.last_error,
    current_errors.last_error_at,
    current_drift.last_drift,
    current_drift.last_drift_at
from assets
left join open_proposals on assets.asset = open_proposals.asset
left join trends on assets.asset = trends.asset
left join current_errors on assets.asset = current_errors.asset
left join current_drift on assets.asset = current_drift.asset
