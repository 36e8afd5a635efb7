{#- Customer notifications that may be due, with the facts their templates need: an order
    confirmation once the payment is secured, a despatch notice with the tracking number
    when a warehouse reports the parcel left, a delivery notice when the carrier reports it
    delivered, a notice for each open exception, and a cancellation notice once any refund
    the cancellation owed has been made (the last step of the cancellation workflow). Every candidate is listed; the
    notification rules in force at send time (rules/notifications.yaml) decide which go out
    and with which template, and the action sends each once through its ledger.
    Only events from the last var('notify_within_hours') of the data are queued, so
    connecting orderloop to a shop with history does not email every past customer.
    Built after the actions, from the lifecycle marts: no model reads the notification
    ledger, so this adds no cycle. Order-file (marketplace) orders are left to their
    marketplace, which owns the conversation with its buyers. -#}
with recipients as (
    select order_id, order_name, channel, email, ship_to_postcode from {{ ref('stg_shopify__orders') }}
    union all
    select order_id, order_name, channel, email, ship_to_postcode from {{ ref('stg_woocommerce__orders') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

as_of as (
    select max(updated_at) as as_of_at from {{ ref('int_orders_unioned') }}
),

feed as (
    select * from {{ ref('stg_warehouse_feeds__fulfilment_events') }}
),

parcels as (
    -- The tracking number the warehouse reported for each order it packed or despatched.
    select order_reference, min(tracking_number) as tracking_number, min(carrier) as carrier
    from feed
    where tracking_number is not null
    group by order_reference
),

despatched as (
    select order_reference, min(occurred_at) as occurred_at
    from feed
    where event_type = 'despatched'
    group by order_reference
),

delivered as (
    select parcels.order_reference, min(tracking.occurred_at) as occurred_at
    from {{ ref('stg_easypost__tracker_events') }} as tracking
    inner join parcels on parcels.tracking_number = tracking.tracking_number
    where tracking.tracking_status = 'delivered'
    group by parcels.order_reference
),

confirmed as (
    -- Payment secured: authorised (captured at despatch) or paid at checkout.
    select order_id, coalesce(authorised_at, paid_at) as occurred_at
    from orders
    where coalesce(authorised_at, paid_at) is not null
        and cancelled_at is null
),

cancelled as (
    -- A cancelled order is told once nothing is left to do for it: no refund owed (none was
    -- captured, or it was refunded before), or the refund action's ledger says refunded.
    select orders.order_id, orders.cancelled_at as occurred_at
    from orders
    left join {{ ref('refund_queue') }} as owed on owed.order_id = orders.order_id
    left join {{ ref('stg_actions__refunds') }} as refunds
        on refunds.order_id = orders.order_id and refunds.refund_status = 'refunded'
    where orders.cancelled_at is not null
        and (owed.order_id is null or refunds.order_id is not null)
),

open_exceptions as (
    -- One notice per exception occurrence; one that already resolved needs no notice.
    select exception_id, order_id, reason, opened_at as occurred_at
    from {{ ref('fct_exceptions') }}
    where is_open
),

due as (
    select
        'confirmation' as kind,
        order_id,
        cast(null as {{ dbt.type_string() }}) as exception_id,
        cast(null as {{ dbt.type_string() }}) as exception_reason,
        occurred_at
    from confirmed
    union all
    select 'despatched', recipients.order_id, null, null, despatched.occurred_at
    from despatched
    inner join recipients on recipients.order_name = despatched.order_reference
    union all
    select 'delivered', recipients.order_id, null, null, delivered.occurred_at
    from delivered
    inner join recipients on recipients.order_name = delivered.order_reference
    union all
    select 'cancelled', order_id, null, null, occurred_at
    from cancelled
    union all
    select 'exception', order_id, exception_id, reason, occurred_at
    from open_exceptions
)

select
    due.kind,
    due.order_id,
    recipients.order_name,
    recipients.channel,
    recipients.email,
    parcels.tracking_number,
    parcels.carrier,
    recipients.ship_to_postcode,
    due.exception_id,
    due.exception_reason,
    due.occurred_at
from due
inner join recipients on recipients.order_id = due.order_id
left join parcels on parcels.order_reference = recipients.order_name
cross join as_of
where recipients.email is not null
    and due.occurred_at >= {{ dbt.dateadd('hour', -1 * var('notify_within_hours'), 'as_of.as_of_at') }}
