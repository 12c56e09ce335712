{#- What every dbt test said about every guarantee, per invocation. -#}
{{ config(schema=tessera.setting("schema")) }}
select
    invocation_id,
    target_name,
    asset,
    guarantee,
    test_unique_id,
    test_name,
    status,
    failures,
    execution_time,
    executed_at,
    contract_version,
    message
from {{ ref("stg_tessera__audit_log") }}
