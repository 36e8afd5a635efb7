{%- set despatched_rank = 60 -%}
{#- One row per order: its milestones, canonical status, shipping and SLAs.
    Definitions (docs/warehouse.md): the SLA clock starts at payment authorisation, or at
    placement when paid at checkout; despatch is due at the warehouse's collection on the
    first working day whose cut-off is not yet past, plus the service's extra days; a
    manual touch is an event a person caused. -#}
with orders as (
    select * from {{ ref('int_orders_unioned') }}
),

milestones as (
    select * from {{ ref('int_orders_milestoned') }}
),

due as (
    select * from {{ ref('int_orders_despatch_due') }}
),

statuses as (
    select status, lifecycle_rank from {{ ref('order_statuses') }}
),

conflicts as (
    select distinct order_id from {{ ref('dq_order_timestamp_conflicts') }}
),

latest_booking as (
    select * from (
        select
            order_id,
            booking_status,
            tracking_number,
            failure_reason,
            row_number() over (partition by order_id order by attempted_at desc) as attempt_rank
        from {{ ref('stg_actions__label_bookings') }}
    ) as ranked
    where attempt_rank = 1
),

as_of as (
    select as_of_at from {{ ref('int_data_as_of') }}
),

allocations as (
    select order_id, allocated_at from {{ ref('stg_routing__first_allocations') }}
),

backordered as (
    select distinct order_id from {{ ref('stg_routing__order_line_routes') }} where decision = 'backordered'
),

exception_counts as (
    select order_id, count(*) as exception_count
    from {{ ref('int_order_exceptions') }}
    group by order_id
),

joined as (
    select
        orders.order_id,
        orders.order_name,
        orders.channel,
        orders.customer_key,
        due.warehouse_id,
        milestones.warehouse_ids,
        orders.placed_at,
        milestones.authorised_at,
        milestones.paid_at,
        allocations.allocated_at,
        milestones.label_booked_at,
        milestones.pick_started_at,
        milestones.packed_at,
        milestones.despatched_at,
        milestones.first_carrier_scan_at,
        milestones.delivered_at,
        milestones.cancelled_at,
        milestones.refunded_at,
        milestones.returned_at,
        milestones.status,
        statuses.lifecycle_rank as status_rank,
        orders.financial_status,
        orders.fulfillment_status,
        coalesce(milestones.tracking_number, latest_booking.tracking_number) as tracking_number,
        coalesce(milestones.carrier, case when latest_booking.booking_status = 'booked' then 'Royal Mail' end)
            as carrier,
        due.service_code,
        latest_booking.booking_status as label_booking_status,
        latest_booking.failure_reason as label_failure_reason,
        due.sla_started_at,
        due.despatch_due_at,
        due.delivery_promised_by,
        milestones.is_split_shipment,
        milestones.manual_touches,
        milestones.manual_touches_before_despatch,
        milestones.customer_contacts,
        milestones.rule_version,
        conflicts.order_id is not null as has_timestamp_conflict,
        coalesce(exception_counts.exception_count, 0) as exception_count,
        backordered.order_id is not null as is_backordered,
        as_of.as_of_at
    from orders
    inner join milestones on milestones.order_id = orders.order_id
    left join latest_booking on latest_booking.order_id = orders.order_id
    left join due on due.order_id = orders.order_id
    left join conflicts on conflicts.order_id = orders.order_id
    left join exception_counts on exception_counts.order_id = orders.order_id
    left join allocations on allocations.order_id = orders.order_id
    left join statuses on statuses.status = milestones.status
    left join backordered on backordered.order_id = orders.order_id
    cross join as_of
)

select
    order_id,
    order_name,
    channel,
    customer_key,
    warehouse_id,
    warehouse_ids,
    placed_at,
    authorised_at,
    paid_at,
    allocated_at,
    label_booked_at,
    pick_started_at,
    packed_at,
    despatched_at,
    first_carrier_scan_at,
    delivered_at,
    cancelled_at,
    refunded_at,
    returned_at,
    status,
    financial_status,
    fulfillment_status,
    tracking_number,
    carrier,
    service_code,
    label_booking_status,
    label_failure_reason,
    case when not has_timestamp_conflict then
        cast({{ dbt.datediff('placed_at', 'despatched_at', 'minute') }} as {{ dbt.type_float() }}) / 60.0
    end as cycle_time_to_despatch_hours,
    case when not has_timestamp_conflict then
        cast({{ dbt.datediff('placed_at', 'delivered_at', 'minute') }} as {{ dbt.type_float() }}) / 60.0
    end as cycle_time_to_delivery_hours,
    sla_started_at,
    despatch_due_at,
    case
        when despatched_at is not null then despatched_at <= despatch_due_at
        when cancelled_at is not null or status = 'cancelled' then null
        -- An order file can say an order left without saying when.
        when status_rank >= {{ despatched_rank }} then null
        when as_of_at > despatch_due_at then false
    end as despatched_on_time,
    delivery_promised_by,
    case
        when delivered_at is not null then delivered_at <= delivery_promised_by
        when cancelled_at is not null or status in ('cancelled', 'returned_to_sender', 'returned', 'delivered')
            then null
        when as_of_at > delivery_promised_by then false
    end as delivered_on_time,
    cast(manual_touches as {{ dbt.type_int() }}) as manual_touches,
    manual_touches_before_despatch = 0 as is_touchless,
    cast(customer_contacts as {{ dbt.type_int() }}) as customer_contacts,
    cast(exception_count as {{ dbt.type_int() }}) as exception_count,
    is_split_shipment,
    is_backordered,
    has_timestamp_conflict,
    rule_version
from joined
