-- depends_on: {{ ref('raw_payments') }}
with base as (

    select * from {{ source('raw', 'raw_payments') }}

),

shaped as (

    select
        cast(payment_id as integer) as payment_id,
        cast(order_id as integer) as order_id,
        cast(lower(payment_method) as {{ tessera_it_type('varchar') }}) as payment_method,
        cast(amount as numeric(12, 2)) as amount,
        cast(paid_at as timestamp) as paid_at
    from base

)

select * from shaped
