{% snapshot snap_products %}

{{
    config(
        target_schema=target.schema,
        unique_key='product_id',
        strategy='timestamp',
        updated_at='updated_at',
        enabled=target.type != 'spark',
    )
}}

select * from {{ ref('raw_products') }}

{% endsnapshot %}
