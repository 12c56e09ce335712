{# Marketing's customer lifetime value segments, built on dim_customers and fct_orders. #}
with customers as (

    select * from {{ ref('dim_customers') }}

),

last_orders as (

    select
        customer_id,
        max(order_date) as last_order_date
    from {{ ref('fct_orders') }}
    where is_paid
    group by customer_id

),

final as (

    select
        customers.customer_id,
        customers.customer_name,
        customers.country_code,
        customers.lifetime_orders,
        customers.lifetime_value,
        last_orders.last_order_date,
        case
            when customers.lifetime_value >= 500 then 'high'
            when customers.lifetime_value >= 100 then 'medium'
            else 'low'
        end as ltv_segment
    from customers
    left join last_orders on customers.customer_id = last_orders.customer_id

)

select * from final
