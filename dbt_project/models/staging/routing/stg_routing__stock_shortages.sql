with shortages as (
    {{ source_or_empty('routing', 'stock_shortages', {
        'order_id': dbt.type_string(), 'first_backordered_at': dbt.type_timestamp(), 'detail': dbt.type_string(),
        'cleared_at': dbt.type_timestamp()
    }) }}
)

select * from shortages
