{#- Orders counted per UTC placed day, channel, warehouse, carrier, service, transit hours and
    the carrier outcomes the Carriers page shows, so it reads thousands of rows instead of
    joining every order to its events. An order counts as a failed booking if any of its
    orderloop bookings was rejected (as kpi_daily); transit is despatch to first delivery,
    left out when the timestamps contradict each other.
    Incremental by UTC placed day (delete+insert on placed_on; macros/incremental_by_placed_day.sql):
    a build counts again the days of the orders fct_orders rewrote since its last build (a
    booking or delivery event rewrites its order there too). -#}
{%- set touched = incremental_by_placed_day() %}

with counted_orders as (
    {{ orders_to_count(touched) }}
),

bookings as (
    select order_id, max(case when event_type = 'label_booking_failed' then 1 else 0 end) = 1 as failed
    from {{ ref('fct_order_events') }}
    where event_type in ('label_booked', 'label_booking_failed')
    {%- if touched %}
        and order_id in (select order_id from counted_orders)
    {%- endif %}
    group by order_id
),

failed_deliveries as (
    select distinct order_id from {{ ref('fct_order_events') }}
    where event_type = 'delivery_failed'
    {%- if touched %}
        and order_id in (select order_id from counted_orders)
    {%- endif %}
),

orders as (
    select
        cast(orders.placed_at as date) as placed_on,
        orders.channel,
        orders.warehouse_id,
        orders.carrier,
        orders.service_code,
        case
            when orders.delivered_at >= orders.despatched_at
                and not coalesce(orders.has_timestamp_conflict, false)
            then {{ dbt.datediff('orders.despatched_at', 'orders.delivered_at', 'second') }} / 3600.0
        end as transit_hours,
        bookings.order_id is not null as had_booking_attempt,
        coalesce(bookings.failed, false) as had_booking_failure,
        failed_deliveries.order_id is not null as had_delivery_failure,
        orders.despatched_at is not null as is_despatched,
        orders.delivered_at is not null as is_delivered,
        orders.delivered_on_time
    from counted_orders as orders
    left join bookings on bookings.order_id = orders.order_id
    left join failed_deliveries on failed_deliveries.order_id = orders.order_id
)

select
    placed_on,
    channel,
    warehouse_id,
    carrier,
    service_code,
    transit_hours,
    had_booking_attempt,
    had_booking_failure,
    had_delivery_failure,
    is_despatched,
    is_delivered,
    delivered_on_time,
    count(*) as orders,
    {{ orders_built_through() }} as _orders_built_through
from orders
group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12
