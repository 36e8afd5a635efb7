{#- Customer notifications that are due: a despatch notice with the tracking number when a
    warehouse reports the parcel left, a delivery notice when the carrier reports it
    delivered. Only events from the last var('notify_within_hours') of the data are queued,
    so connecting orderloop to a shop with history does not email every past customer.
    The notification action sends each (kind, order) once, through its ledger. -#}
with orders as (
    select order_id, order_name, channel, email from {{ ref('stg_shopify__orders') }}
    union all
    select order_id, order_name, channel, email from {{ ref('stg_woocommerce__orders') }}
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

due as (
    select 'despatched' as kind, order_reference, occurred_at from despatched
    union all
    select 'delivered', order_reference, occurred_at from delivered
)

select
    due.kind,
    orders.order_id,
    orders.order_name,
    orders.channel,
    orders.email,
    parcels.tracking_number,
    parcels.carrier,
    due.occurred_at
from due
inner join orders on orders.order_name = due.order_reference
left join parcels on parcels.order_reference = due.order_reference
cross join as_of
where orders.email is not null
    and due.occurred_at >= {{ dbt.dateadd('hour', -1 * var('notify_within_hours'), 'as_of.as_of_at') }}
