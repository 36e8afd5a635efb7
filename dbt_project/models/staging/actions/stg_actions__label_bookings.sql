select
    idempotency_key,
    order_id,
    order_reference,
    status as booking_status,
    attempted_at,
    completed_at,
    carrier_created_at,
    -- When the label was booked: the carrier's time when it said, else when we heard.
    coalesce(carrier_created_at, completed_at) as booked_at,
    carrier_order_identifier,
    tracking_number,
    failure_reason,
    rule_version
from {{ source('actions', 'label_bookings') }}
