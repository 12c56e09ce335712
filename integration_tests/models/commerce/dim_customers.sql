with customers as (

    select * from {{ ref('stg_customers') }}

),

customer_orders as (

    select
        customer_id,
        min(order_date) as first_order_date,
        count(*) as lifetime_orders,
        sum(case when status = 'returned' then 0 else amount end) as lifetime_value
    from {{ ref('fct_orders') }}
    group by customer_id

),

final as (

    select
        cast(customers.customer_id as integer) as customer_id,
        cast(customers.customer_name as {{ tessera_it_type('text') }}) as customer_name,
        cast(customers.email as {{ tessera_it_type('varchar') }}) as email,
        cast(customers.country_code as {{ tessera_it_type('varchar') }}) as country_code,
        cast(customers.signed_up_at as timestamp) as signed_up_at,
        cast(customer_orders.first_order_date as date) as first_order_date,
        cast(coalesce(customer_orders.lifetime_orders, 0) as integer) as lifetime_orders,
        cast(coalesce(customer_orders.lifetime_value, 0) as numeric(12, 2)) as lifetime_value
    from customers
    left join customer_orders on customers.customer_id = customer_orders.customer_id

)

select * from final
