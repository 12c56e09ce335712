{#- One row per asset and published version; is_current marks the version in force: the
    last word of the asset's publications and retirements, in recorded order with ties
    broken by event id (the order state.folds.fold_heads uses, so Python and BI agree).
    A retired asset has no current version. -#}
{{ config(schema=tessera.setting("schema")) }}
with lifecycle as (

    select * from {{ ref("stg_tessera__events") }}
    where event_type in ({{ tessera.word('event_type', 'contract_published') }}, {{ tessera.word('event_type', 'contract_retired') }})

),

last_word as (

    select asset, event_id
    from (
        select
            asset,
            event_id,
            row_number() over (partition by asset order by recorded_at desc, event_id desc) as recency
        from lifecycle
    ) as ranked
    where recency = 1

),

versions as (

    select
        lifecycle.asset,
        lifecycle.version,
        lifecycle.compatibility,
        lifecycle.owner,
        lifecycle.recorded_at as published_at,
        lifecycle.proposal_id,
        lifecycle.reason,
        lifecycle.invocation_id,
        lifecycle.fingerprint,
        lifecycle.payload as contract,
        case when last_word.event_id is not null then true else false end as is_current
    from lifecycle
    left join last_word on lifecycle.event_id = last_word.event_id
    where lifecycle.event_type = {{ tessera.word('event_type', 'contract_published') }}

)

select
    asset,
    version,
    compatibility,
    owner,
    published_at,
    is_current,
    proposal_id,
    reason,
    invocation_id,
    fingerprint,
    contract
from versions
