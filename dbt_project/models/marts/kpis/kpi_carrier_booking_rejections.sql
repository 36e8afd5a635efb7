{#- Rejected label bookings counted per UTC placed day, channel, warehouse, carrier, service and
    the carrier's reason ('no reason given' when it gave none): rejections, and the orders they
    hit. An order sits on one day, channel, warehouse, carrier and service, so orders add up
    across rows of the same reason.
    Incremental by UTC placed day (delete+insert on placed_on; macros/incremental_by_placed_day.sql):
    a build counts again the days of the orders fct_orders rewrote since its last build (a
    rejected booking rewrites its order there too). -#}
{%- set touched = incremental_by_placed_day() %}

with rejections as (
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
    inner join ({{ orders_to_count(touched) }}) as orders on orders.order_id = events.order_id
    where events.event_type = 'label_booking_failed'
    group by 1, 2, 3, 4, 5, 6
)

select
    rejections.*,
    {{ orders_built_through() }} as _orders_built_through
from rejections
