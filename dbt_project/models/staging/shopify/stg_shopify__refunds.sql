with refunds as (
    {{ source_or_empty('shopify', 'orders__refunds', {
        'id': dbt.type_string(), '_dlt_parent_id': dbt.type_string(), 'created_at': type_loaded_timestamp(),
        'note': dbt.type_string(), 'total_refunded_set__shop_money__amount': 'decimal(18, 2)'
    }) }}
),

orders as (
    select id as order_id, _dlt_id, _dlt_load_id from {{ source('shopify', 'orders') }}
)

select
    refunds.id as refund_id,
    orders.order_id,
    -- Written with its order (a dlt child table): the order's load, for the key tests.
    orders._dlt_load_id,
    {{ as_utc('refunds.created_at') }} as refunded_at,
    cast(refunds.total_refunded_set__shop_money__amount as decimal(18, 2)) as refund_amount,
    refunds.note
from refunds
inner join orders on refunds._dlt_parent_id = orders._dlt_id
