with fulfillment_orders as (
    {{ source_or_empty('shopify', 'orders__fulfillment_orders', {
        'id': dbt.type_string(), '_dlt_parent_id': dbt.type_string(), 'status': dbt.type_string(),
        'request_status': dbt.type_string(), 'created_at': type_loaded_timestamp(),
        'updated_at': type_loaded_timestamp(), 'assigned_location__name': dbt.type_string()
    }) }}
),

orders as (
    select id as order_id, _dlt_id, _dlt_load_id from {{ source('shopify', 'orders') }}
)

select
    fulfillment_orders.id as fulfillment_order_id,
    orders.order_id,
    -- Written with its order (a dlt child table): the order's load, for the key tests.
    orders._dlt_load_id,
    fulfillment_orders.status,
    fulfillment_orders.request_status,
    fulfillment_orders.assigned_location__name as location_name,
    {{ as_utc('fulfillment_orders.created_at') }} as created_at,
    {{ as_utc('fulfillment_orders.updated_at') }} as updated_at
from fulfillment_orders
inner join orders on fulfillment_orders._dlt_parent_id = orders._dlt_id
