with returned as (
    {{ source_or_empty('warehouse_feeds', 'returns', {
        'warehouse_id': dbt.type_string(), 'order_reference': dbt.type_string(), 'sku': dbt.type_string(),
        'quantity': dbt.type_bigint(), 'condition': dbt.type_string(), 'outcome': dbt.type_string(),
        'received_at': type_loaded_timestamp()
    }) }}
)

select
    warehouse_id,
    order_reference,
    sku,
    quantity,
    condition,
    outcome,
    {{ as_utc('received_at') }} as received_at
from returned
