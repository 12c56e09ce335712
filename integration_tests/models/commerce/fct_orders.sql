with orders as (

    select * from {{ ref('stg_orders') }}

),

order_items as (

    select
        order_id,
        count(*) as item_count,
        sum(quantity * unit_price) as amount
    from {{ ref('stg_order_items') }}
    group by order_id

),

order_payments as (

    select
        order_id,
        sum(amount) as paid_amount
    from {{ ref('stg_payments') }}
    group by order_id

),

final as (

    select
        cast(orders.order_id as integer) as order_id,
        cast(orders.customer_id as integer) as customer_id,
        cast(orders.order_date as date) as order_date,
        cast(orders.status as {{ tessera_it_type('varchar') }}) as status,
        cast(coalesce(order_items.item_count, 0) as integer) as item_count,
        cast(coalesce(order_items.amount, 0) as numeric(12, 2)) as amount,
        cast(
            case
                when order_payments.paid_amount >= coalesce(order_items.amount, 0) then true
                else false
            end
            as boolean
        ) as is_paid,
        cast(orders.updated_at as timestamp) as updated_at
    from orders
    left join order_items on orders.order_id = order_items.order_id
    left join order_payments on orders.order_id = order_payments.order_id

)

select * from final
