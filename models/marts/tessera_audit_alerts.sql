{#- One row per firing alert and asset (the rules are in docs/audit.md; thresholds in
    vars.tessera.audit_alerts). Rates are compared as counts (failed * 1 > rate * runs) so
    a boundary is exact: a rate equal to its threshold does not fire. -#}
{{ config(schema=tessera.setting("schema")) }}
{%- set t = tessera.audit_alert_thresholds() %}
{%- set float = dbt.type_float() %}
{%- set text = dbt.type_string() %}
{%- set pct = "cast(cast(round(%s * 100) as " ~ dbt.type_int() ~ ") as " ~ text ~ ")" %}
{%- set num = "cast(%s as " ~ text ~ ")" %}
with trends as (

    select * from {{ ref("tessera_audit_trends") }}

),

failure_rate_24h as (

    select
        asset,
        'failure_rate_24h' as alert,
        cast(null as {{ text }}) as guarantee,
        failure_rate_24h as observed,
        cast({{ t.failure_rate_24h }} as {{ float }}) as threshold,
        runs_24h as runs,
        last_run_at,
        {{ dbt.concat(["'failure rate '", pct | format("failure_rate_24h"),
                       "'% over '", num | format("runs_24h"), "' runs in 24 h (alert above '",
                       pct | format(t.failure_rate_24h), "'% with at least '",
                       num | format(t.min_runs_24h), "' runs)'"]) }} as message
    from trends
    where runs_24h >= {{ t.min_runs_24h }}
      and failed_24h + partial_24h > {{ t.failure_rate_24h }} * runs_24h

),

failure_rate_rising as (

    select
        asset,
        'failure_rate_rising' as alert,
        cast(null as {{ text }}) as guarantee,
        failure_rate_7d as observed,
        cast({{ t.rising_factor }} * failure_rate_30d as {{ float }}) as threshold,
        runs_7d as runs,
        last_run_at,
        {{ dbt.concat(["'failure rate rising: '", pct | format("failure_rate_7d"),
                       "'% over 7 d against '", pct | format("failure_rate_30d"),
                       "'% over 30 d (alert above '", num | format(t.rising_factor),
                       "' x the 30 d rate)'"]) }} as message
    from trends
    where runs_7d >= {{ t.min_runs_7d }}
      and runs_30d >= {{ t.min_runs_30d }}
      and (failed_7d + partial_7d) * runs_30d
          > {{ t.rising_factor }} * (failed_30d + partial_30d) * runs_7d

),

guarantee_failing as (

    select
        guarantees.asset,
        'guarantee_failing' as alert,
        guarantees.guarantee,
        cast(guarantees.failures_7d as {{ float }}) as observed,
        cast({{ t.guarantee_failures_7d }} as {{ float }}) as threshold,
        guarantees.checks_7d as runs,
        trends.last_run_at,
        {{ dbt.concat(["'guarantee '", "guarantees.guarantee", "' failed in '",
                       num | format("guarantees.failures_7d"), "' of '",
                       num | format("guarantees.checks_7d"), "' runs in 7 d (alert at '",
                       num | format(t.guarantee_failures_7d), "')'"]) }} as message
    from {{ ref("tessera_audit_guarantees") }} as guarantees
    inner join trends on guarantees.asset = trends.asset
    where guarantees.failures_7d >= {{ t.guarantee_failures_7d }}

),

latest_run_failed as (

    select
        asset,
        'latest_run_failed' as alert,
        cast(null as {{ text }}) as guarantee,
        cast(null as {{ float }}) as observed,
        cast(null as {{ float }}) as threshold,
        1 as runs,
        last_run_at,
        {{ dbt.concat(["'the latest run failed (status '", "last_run_status",
                       "', invocation '", "last_invocation_id", "')'"]) }} as message
    from trends
    where last_run_status in ({{ tessera.word('run_status', 'failed') }}, {{ tessera.word('run_status', 'partial') }})

),

alerts as (

    select * from failure_rate_24h
    union all
    select * from failure_rate_rising
    union all
    select * from guarantee_failing
    union all
    select * from latest_run_failed

)

select asset, alert, guarantee, observed, threshold, runs, last_run_at, message
from alerts
