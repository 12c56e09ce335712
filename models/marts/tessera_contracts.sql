{#- One row per asset and published version; is_current marks the version in force. -#}
{{ config(schema=tessera.setting("schema")) }}
with published as (

    select * from {{ ref("stg_tessera__events") }}
    where event_type = {{ tessera.word('event_type', 'contract_published') }}

),

versions as (

    select
        asset,
        version,
        compatibility,
        owner,
        recorded_at as published_at,
        proposal_id,
        reason,
        invocation_id,
        fingerprint,
        payload as contract,
        row_number() over (partition by asset order by recorded_at desc, event_id desc) as recency
    from published

)

select
    asset,
    version,
    compatibility,
    owner,
    published_at,
    case when recency = 1 then true else false end as is_current,
    proposal_id,
    reason,
    invocation_id,
    fingerprint,
    contract
from versions
