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
    where status in ('pending', 'approved')
    group by asset

),

runs as (

    select
        asset,
        invocation_id,
        max(executed_at) as executed_at,
        case
            when sum(case when status in ('fail', 'error') then 1 else 0 end) > 0 then 'fail'
            when sum(case when status = 'warn' then 1 else 0 end) > 0 then 'warn'
            else 'pass'
        end as run_status
    from {{ ref("stg_tessera__audit_log") }}
    where status in ('pass', 'fail', 'warn', 'error')
    group by asset, invocation_id

),

latest_run as (

    select asset, run_status as last_audit_status
    from (
        select
            asset,
            run_status,
            row_number() over (partition by asset order by executed_at desc, invocation_id desc) as recency
        from runs
    ) as ordered
    where recency = 1

),

pass_rate as (

    select
        asset,
        {{ dbt.safe_cast("sum(case when run_status != 'fail' then 1 else 0 end)", dbt.type_float()) }}
            / count(*) as audit_pass_rate_30d
    from runs
    where executed_at >= {{ dbt.dateadd("day", -30, dbt.current_timestamp()) }}
    group by asset

)

select
    current_contracts.asset,
    current_contracts.owner,
    current_contracts.current_version,
    current_contracts.published_at,
    coalesce(open_proposals.open_proposals, 0) as open_proposals,
    latest_run.last_audit_status,
    pass_rate.audit_pass_rate_30d
from current_contracts
left join open_proposals on current_contracts.asset = open_proposals.asset
left join latest_run on current_contracts.asset = latest_run.asset
left join pass_rate on current_contracts.asset = pass_rate.asset
