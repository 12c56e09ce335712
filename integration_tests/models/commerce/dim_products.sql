with products as (

    select * from {{ ref('stg_products') }}

),

units as (

    select
        product_id,
        sum(quantity) as units_sold
    from {{ ref('stg_order_items') }}
    group by product_id

),

final as (

    select
        products.product_id,
        products.product_name,
        products.category,
        products.unit_price,
        products.is_active,
        cast(coalesce(units.units_sold, 0) as bigint) as units_sold
    from products
    left join units on products.product_id = units.product_id

)

select * from final
