select
    cast(id as {{ dbt.type_string() }}) as refund_id,
    cast(order_id as {{ dbt.type_string() }}) as order_id,
    cast(amount as decimal(18, 2)) as refund_amount,
    reason,
    {{ as_utc('date_created_gmt') }} as refunded_at
from {{ source('woocommerce', 'order_refunds') }}
