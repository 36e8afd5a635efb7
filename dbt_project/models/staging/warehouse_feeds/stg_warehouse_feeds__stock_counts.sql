with counts as (
    {{ source_or_empty('warehouse_feeds', 'stock', {
        'warehouse_id': dbt.type_string(), 'sku': dbt.type_string(), 'location': dbt.type_string(),
        'on_hand': dbt.type_bigint(), 'counted_at': type_loaded_timestamp()
    }) }}
)

select
    warehouse_id,
    sku,
    location,
    on_hand,
    {{ as_utc('counted_at') }} as counted_at
from counts
