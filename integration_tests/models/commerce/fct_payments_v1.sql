{# Version 1, kept while consumers migrate to v2: payment_id as integer, `payment_method`. #}
with payments as (

    select * from {{ ref('stg_payments') }}

),

final as (

    select
        cast(payment_id as integer) as payment_id,
        cast(order_id as integer) as order_id,
        cast(payment_method as {{ tessera_it_type('varchar') }}) as payment_method,
        cast(amount as numeric(12, 2)) as amount,
        cast(paid_at as timestamp) as paid_at
    from payments

)

select * from final
