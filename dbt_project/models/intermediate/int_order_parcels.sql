{#- Which order each parcel (tracking number) belongs to, and how it ships.
    The warehouse's packing report is the most complete source (warehouse, carrier and
    service); the channel's fulfilment and orderloop's own bookings fill in parcels the
    warehouse has not reported yet. -#}
with orders as (
    select order_id, order_name from {{ ref('int_orders_unioned') }}
),

warehouse_parcels as (
    select
        orders.order_id,
        feed.tracking_number,
        feed.warehouse_id,
        feed.carrier,
        feed.service as service_code,
        1 as source_priority
    from {{ ref('stg_warehouse_feeds__fulfilment_events') }} as feed
    inner join orders on orders.order_name = feed.order_reference
    where feed.tracking_number is not null
),

channel_parcels as (
    select
        order_id,
        tracking_number,
        cast(null as {{ dbt.type_string() }}) as warehouse_id,
        carrier,
        cast(null as {{ dbt.type_string() }}) as service_code,
        2 as source_priority
    from {{ ref('stg_shopify__fulfillments') }}
    where tracking_number is not null
),

booked_parcels as (
    select
        order_id,
        tracking_number,
        cast(null as {{ dbt.type_string() }}) as warehouse_id,
        'Royal Mail' as carrier,
        cast(null as {{ dbt.type_string() }}) as service_code,
        3 as source_priority
    from {{ ref('stg_actions__label_bookings') }}
    where booking_status = 'booked' and tracking_number is not null
),

candidates as (
    select * from warehouse_parcels
    union all select * from channel_parcels
    union all select * from booked_parcels
),

ranked as (
    select
        candidates.*,
        row_number() over (
            partition by tracking_number order by source_priority, order_id
        ) as preference
    from candidates
)

select
    tracking_number,
    order_id,
    warehouse_id,
    carrier,
    service_code
from ranked
where preference = 1
