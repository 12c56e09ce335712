{# Finance's daily revenue, built on the commerce team's contracts (fct_orders, fct_payments latest). #}
with orders as (

    select * from {{ ref('fct_orders') }}

),

payments as (

    select
        order_id,
        sum(amount) as paid_amount
    from {{ ref('fct_payments') }}
    group by order_id

),

final as (

    select
        orders.order_date as revenue_date,
        cast(count(*) as integer) as order_count,
        cast(sum(orders.amount) as numeric(12, 2)) as gross_revenue,
        cast(
            sum(case when orders.status = 'returned' then orders.amount else 0 end)
            as numeric(12, 2)
        ) as returned_revenue,
        cast(sum(coalesce(payments.paid_amount, 0)) as numeric(12, 2)) as collected_revenue
    from orders
    left join payments on orders.order_id = payments.order_id
    group by orders.order_date

)

select * from final
