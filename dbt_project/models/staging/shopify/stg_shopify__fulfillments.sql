with fulfillments as (
    {{ source_or_empty('shopify', 'orders__fulfillments', {
        'id': dbt.type_string(), '_dlt_id': dbt.type_string(), '_dlt_parent_id': dbt.type_string(),
        'status': dbt.type_string(), 'created_at': type_loaded_timestamp()
    }) }}
),

tracking as (
    -- A fulfilment usually carries one tracking number; keep the first.
    select _dlt_parent_id, min(number) as tracking_number, min(company) as carrier
    from (
        {{ source_or_empty('shopify', 'orders__fulfillments__tracking_info', {
            '_dlt_parent_id': dbt.type_string(), 'number': dbt.type_string(), 'company': dbt.type_string()
        }) }}
    ) as tracking_info
    group by _dlt_parent_id
),

orders as (
    select id as order_id, _dlt_id, _dlt_load_id from {{ source('shopify', 'orders') }}
)

select
    fulfillments.id as fulfillment_id,
    orders.order_id,
    -- Written with its order (a dlt child table): the order's load, for the key tests.
    orders._dlt_load_id,
    fulfillments.status,
    {{ as_utc('fulfillments.created_at') }} as fulfilled_at,
    tracking.tracking_number,
    tracking.carrier
from fulfillments
inner join orders on fulfillments._dlt_parent_id = orders._dlt_id
left join tracking on tracking._dlt_parent_id = fulfillments._dlt_id
