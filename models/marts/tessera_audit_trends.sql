{#- One row per audited asset: its runs, failures and failure rate over the last 24 hours,
    7 and 30 days, its latest run and its most failing guarantees. Failure rate =
    (failed + partial) / runs; skipped runs are not counted. -#}
{{ config(schema=tessera.setting("schema")) }}
{%- set now = tessera.current_timestamp_utc() %}
{%- set windows = [("24h", dbt.dateadd("hour", -24, now)),
                   ("7d", dbt.dateadd("day", -7, now)),
                   ("30d", dbt.dateadd("day", -30, now))] %}
with runs as (

    select * from {{ ref("tessera_audit_runs") }}
    where status != {{ tessera.word('run_status', 'skipped') }}

),

counts as (

    select
        asset,
        {%- for name, since in windows %}
        sum(case when executed_at >= {{ since }} then 1 else 0 end) as runs_{{ name }},
        sum(case when executed_at >= {{ since }} and status = {{ tessera.word('run_status', 'passed') }} then 1 else 0 end)
            as passed_{{ name }},
        sum(case when executed_at >= {{ since }} and status = {{ tessera.word('run_status', 'failed') }} then 1 else 0 end)
            as failed_{{ name }},
        sum(case when executed_at >= {{ since }} and status = {{ tessera.word('run_status', 'partial') }} then 1 else 0 end)
            as partial_{{ name }},
        {%- endfor %}
        count(*) as runs_total
    from runs
    group by asset

),

latest as (

    select
        asset,
        executed_at as last_run_at,
        status as last_run_status,
        has_warnings as last_run_has_warnings,
        invocation_id as last_invocation_id,
        contract_version as last_contract_version
    from (
        select
            *,
            row_number() over (partition by asset order by executed_at desc, invocation_id desc)
                as recency
        from runs
    ) as ordered
    where recency = 1

),

failing as (

    select
        asset,
        max(failures_7d) as top_guarantee_failures_7d,
        {{ tessera.listagg_ordered("guarantee", "', '", [("failures_7d", "desc"), ("guarantee", "asc")], 3) }}
            as most_failing_guarantees_7d
    from {{ ref("tessera_audit_guarantees") }}
    where failures_7d > 0
    group by asset

)

select
    counts.asset,
    {%- for name, since in windows %}
    counts.runs_{{ name }},
    counts.passed_{{ name }},
    counts.failed_{{ name }},
    counts.partial_{{ name }},
    case when counts.runs_{{ name }} > 0
         then {{ dbt.safe_cast("counts.failed_" ~ name ~ " + counts.partial_" ~ name, dbt.type_float()) }}
              / counts.runs_{{ name }}
    end as failure_rate_{{ name }},
    {%- endfor %}
    counts.runs_total,
    latest.last_run_at,
    latest.last_run_status,
    latest.last_run_has_warnings,
    latest.last_invocation_id,
    latest.last_contract_version,
    coalesce(failing.top_guarantee_failures_7d, 0) as top_guarantee_failures_7d,
    failing.most_failing_guarantees_7d
from counts
inner join latest on counts.asset = latest.asset
left join failing on counts.asset = failing.asset
