{#- One row per asset: its current contract, open proposals and how its guarantees fare. -#}
{{ config(schema=tessera.setting("schema")) }}
with current_contracts as (

    select asset, owner, version as current_version, published_at
    from {{ ref("tessera_contracts") }}
    where is_current

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

)

select
    current_contracts.asset,
    current_contracts.owner,
    current_contracts.current_version,
    current_contracts.published_at,
    coalesce(open_proposals.open_proposals, 0) as open_proposals,
    trends.last_audit_status,
    trends.audit_pass_rate_30d
from current_contracts
left join open_proposals on current_contracts.asset = open_proposals.asset
left join trends on current_contracts.asset = trends.asset
