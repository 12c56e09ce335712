{#- One row per asset and consumer team: the consumers seen in the current published
    contract (declared, downstream, exposure, project) plus registered teams. -#}
{{ config(schema=tessera.setting("schema")) }}
with events as (

    select * from {{ ref("stg_tessera__events") }}

),

current_versions as (

    select asset, version from {{ ref("tessera_contracts") }} where is_current

),

observed as (

    select events.asset, events.team, events.status as source, events.reason as purpose
    from events
    inner join current_versions
        on events.asset = current_versions.asset and events.version = current_versions.version
    where events.event_type = {{ tessera.word('event_type', 'consumer_observed') }}

),

registrations as (

    select
        asset,
        team,
        event_type,
        reason as purpose,
        row_number() over (partition by asset, team order by recorded_at desc) as recency
    from events
    where event_type in ({{ tessera.word('event_type', 'consumer_registered') }}, {{ tessera.word('event_type', 'consumer_unregistered') }})

),

registered as (

    select asset, team, {{ tessera.word('consumer_source', 'registered') }} as source, purpose
    from registrations
    where recency = 1 and event_type = {{ tessera.word('event_type', 'consumer_registered') }}

)

select asset, team, source, purpose from observed
union all
select asset, team, source, purpose from registered
