-- depends_on: {{ ref('raw_order_items') }}
with base as (

    select * from {{ source('raw', 'raw_order_items') }}

),

shaped as (

    select
        cast(order_item_id as integer) as order_item_id,
        cast(order_id as integer) as order_id,
        cast(product_id as integer) as product_id,
        cast(quantity as integer) as quantity,
        cast(unit_price as numeric(12, 2)) as unit_price
    from base

)

select * from shaped
