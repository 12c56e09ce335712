{#- One row per asset and guarantee: how often its checks ran and failed in the last
    24 hours, 7 and 30 days (counted per run: several tests of one guarantee failing in the
    same invocation are one failure). -#}
{{ config(schema=tessera.setting("schema")) }}
{%- set now = tessera.current_timestamp_utc() %}
with results as (

    select
        asset,
        invocation_id,
        coalesce(guarantee, test_name) as guarantee,
        status
    from {{ ref("stg_tessera__audit_log") }}
    where asset is not null

),

runs as (

    select asset, invocation_id, executed_at
    from {{ ref("tessera_audit_runs") }}
    where status != {{ tessera.word('test_status', 'skipped') }}

),

per_run as (

    select
        results.asset,
        results.guarantee,
        runs.executed_at,
        max(case when results.status in ({{ tessera.word('test_status', 'fail') }}, {{ tessera.word('test_status', 'error') }}) then 1 else 0 end) as failed,
        max(case when results.status = {{ tessera.word('test_status', 'warn') }} then 1 else 0 end) as warned,
        max(case when results.status in ({{ tessera.word('test_status', 'pass') }}, {{ tessera.word('test_status', 'warn') }}, {{ tessera.word('test_status', 'fail') }}, {{ tessera.word('test_status', 'error') }}) then 1 else 0 end)
            as checked
    from results
    inner join runs
        on results.asset = runs.asset and results.invocation_id = runs.invocation_id
    group by results.asset, results.guarantee, results.invocation_id, runs.executed_at

),

windowed as (

    select
        *,
        case when executed_at >= {{ dbt.dateadd("hour", -24, now) }} then 1 else 0 end as in_24h,
        case when executed_at >= {{ dbt.dateadd("day", -7, now) }} then 1 else 0 end as in_7d,
        case when executed_at >= {{ dbt.dateadd("day", -30, now) }} then 1 else 0 end as in_30d
    from per_run

)

select
    asset,
    guarantee,
    sum(checked * in_24h) as checks_24h,
    sum(failed * in_24h) as failures_24h,
    sum(checked * in_7d) as checks_7d,
    sum(failed * in_7d) as failures_7d,
    sum(warned * in_7d) as warnings_7d,
    sum(checked * in_30d) as checks_30d,
    sum(failed * in_30d) as failures_30d,
    max(case when checked = 1 then executed_at end) as last_checked_at,
    max(case when failed = 1 then executed_at end) as last_failed_at
from windowed
group by asset, guarantee
