select
    cast(order_identifier as {{ dbt.type_bigint() }}) as shipment_id,
    order_reference,
    tracking_number,
    {{ as_utc('created_on') }} as booked_at,
    {{ as_utc('shipped_on') }} as shipped_at
from {{ source('click_and_drop', 'shipments') }}
