-- dlt creates the refunds table only once a refund has been seen: a shop (or a young demo
-- world) without one must still build.
with refunds as (
    {{ source_or_empty('woocommerce', 'order_refunds', {
        'id': dbt.type_bigint(), 'order_id': dbt.type_bigint(), 'amount': 'decimal(38, 9)',
        'reason': dbt.type_string(), 'date_created_gmt': type_loaded_timestamp(),
        '_dlt_load_id': dbt.type_string()
    }) }}
)

select
    cast(id as {{ dbt.type_string() }}) as refund_id,
    cast(order_id as {{ dbt.type_string() }}) as order_id,
    cast(amount as decimal(18, 2)) as refund_amount,
    reason,
    {{ as_utc('date_created_gmt') }} as refunded_at,
    _dlt_load_id  -- the dlt load that wrote it, for the key tests
from refunds
