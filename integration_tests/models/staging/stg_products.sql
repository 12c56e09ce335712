-- depends_on: {{ ref('raw_products') }}
with base as (

    select * from {{ source('raw', 'raw_products') }}
    {{ exclude_test_records() }}

),

shaped as (

    select
        cast(product_id as integer) as product_id,
        cast(product_name as {{ tessera_it_type('varchar') }}) as product_name,
        cast(lower(category) as {{ tessera_it_type('varchar') }}) as category,
        cast(unit_price as numeric(12, 2)) as unit_price,
        cast(is_active as boolean) as is_active,
        cast(updated_at as timestamp) as updated_at
    from base

)

select * from shaped
