{#- Rejected label bookings counted per UTC placed day, channel, warehouse, carrier, service and
    the carrier's reason ('no reason given' when it gave none): rejections, and the orders they
    hit. An order sits on one day, channel, warehouse, carrier and service, so orders add up
    across rows of the same reason. -#}
select
    cast(orders.placed_at as date) as placed_on,
    orders.channel,
    orders.warehouse_id,
    orders.carrier,
    orders.service_code,
    coalesce(events.reason, 'no reason given') as reason,
    count(*) as rejections,
    count(distinct events.order_id) as orders
from {{ ref('fct_order_events') }} as events
inner join {{ ref('fct_orders') }} as orders on orders.order_id = events.order_id
where events.event_type = 'label_booking_failed'
group by 1, 2, 3, 4, 5, 6
