-- depends_on: {{ ref('raw_customers') }}
with base as (

    select * from {{ source('raw', 'raw_customers') }}
    {{ exclude_test_records() }}

),

shaped as (

    select
        cast(customer_id as integer) as customer_id,
        cast(customer_name as {{ tessera_it_type('text') }}) as customer_name,
        cast(lower(email) as {{ tessera_it_type('varchar') }}) as email,
        cast(upper(country_code) as {{ tessera_it_type('varchar') }}) as country_code,
        cast(signed_up_at as timestamp) as signed_up_at
    from base

)

select * from shaped
