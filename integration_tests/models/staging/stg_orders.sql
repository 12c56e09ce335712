-- depends_on: {{ ref('raw_orders') }}
with base as (

    select * from {{ source('raw', 'raw_orders') }}
    {{ exclude_test_records() }}

),

shaped as (

    select
        cast(order_id as integer) as order_id,
        cast(customer_id as integer) as customer_id,
        cast(lower(status) as {{ tessera_it_type('varchar') }}) as status,
        cast(ordered_at as timestamp) as ordered_at,
        cast(ordered_at as date) as order_date,
        cast(updated_at as timestamp) as updated_at
    from base

)

select * from shaped
