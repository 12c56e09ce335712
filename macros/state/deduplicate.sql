{#- The rows of `relation` with retried writes folded away: one row per `key`, the first
    recorded. -#}
{% macro deduplicate(relation, key) %}
with base as (

    select * from {{ relation }}

),

ranked as (

    select
        *,
        row_number() over (partition by {{ key }} order by recorded_at) as occurrence
    from base

)

select * from ranked where occurrence = 1
{% endmacro %}
