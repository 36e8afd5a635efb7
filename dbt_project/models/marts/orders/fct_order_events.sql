select
    event_id,
    order_id,
    event_type,
    occurred_at,
    source,
    actor,
    reason,
    rule_version
from {{ ref('int_order_events_unioned') }}
