with events as (
    {{ source_or_empty('warehouse_feeds', 'fulfilment', {
        'warehouse_id': dbt.type_string(), 'order_reference': dbt.type_string(), 'event': dbt.type_string(),
        'occurred_at': type_loaded_timestamp(), 'carrier': dbt.type_string(), 'service': dbt.type_string(),
        'tracking_number': dbt.type_string()
    }) }}
)

select
    warehouse_id,
    order_reference,
    event as event_type,
    {{ as_utc('occurred_at') }} as occurred_at,
    carrier,
    service,
    tracking_number
from events
