{#- One row per asset per dbt invocation: did the asset's guarantees hold in that run?
    A warning is a pass with a warning (counted, never dropped); a run whose every check
    was skipped is kept as `skipped` and left out of the trends. -#}
{{ config(schema=tessera.setting("schema")) }}
with results as (

    select * from {{ ref("stg_tessera__audit_log") }}
    where asset is not null

),

counted as (

    select
        asset,
        invocation_id,
        max(target_name) as target_name,
        max(contract_version) as contract_version,
        max(executed_at) as executed_at,
        count(*) as tests_total,
        sum(case when status = {{ tessera.word('test_status', 'pass') }} then 1 else 0 end) as tests_passed,
        sum(case when status = {{ tessera.word('test_status', 'warn') }} then 1 else 0 end) as tests_warned,
        sum(case when status = {{ tessera.word('test_status', 'fail') }} then 1 else 0 end) as tests_failed,
        sum(case when status = {{ tessera.word('test_status', 'error') }} then 1 else 0 end) as tests_errored,
        sum(case when status in ({{ tessera.word('test_status', 'pass') }}, {{ tessera.word('test_status', 'warn') }}, {{ tessera.word('test_status', 'fail') }}, {{ tessera.word('test_status', 'error') }}) then 0 else 1 end)
            as tests_skipped,
        count(distinct case when status in ({{ tessera.word('test_status', 'fail') }}, {{ tessera.word('test_status', 'error') }})
                            then coalesce(guarantee, test_name) end) as guarantees_failed
    from results
    group by asset, invocation_id

)

select
    asset,
    invocation_id,
    target_name,
    executed_at,
    case
        when tests_failed + tests_errored = 0 and tests_passed + tests_warned > 0 then {{ tessera.word('run_status', 'passed') }}
        when tests_failed + tests_errored > 0 and tests_passed + tests_warned = 0 then {{ tessera.word('run_status', 'failed') }}
        when tests_failed + tests_errored > 0 then {{ tessera.word('run_status', 'partial') }}
        else {{ tessera.word('run_status', 'skipped') }}
    end as status,
    case when tests_warned > 0 then true else false end as has_warnings,
    tests_total,
    tests_passed,
    tests_warned,
    tests_failed,
    tests_errored,
    tests_skipped,
    guarantees_failed,
    contract_version
from counted
