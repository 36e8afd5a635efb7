{%- set despatched_rank = 60 -%}
{#- One row per order: its milestones, canonical status, shipping and SLAs.
    Definitions (docs/warehouse.md): the SLA clock starts at payment authorisation, or at
    placement when paid at checkout; despatch is due at the warehouse's collection on the
    first working day whose cut-off is not yet past, plus the service's extra days; a
    manual touch is an event a person caused.
    Incremental by order (delete+insert on order_id): a build recomputes the orders
    - whose milestones int_orders_milestoned rewrote since this table's last build (its
      `_built_at` is later), which covers new orders and every change to the order's source
      rows (channel fields such as financial_status and cancellations, events, parcels,
      bookings' events);
    - whose despatch or delivery deadline lies between the "now" their row was computed at
      (`_as_of_at`) and the new one, whose on-time flags the clock alone may have changed;
    - whose other inputs, which have no load id, now differ from what the row holds: the
      label bookings ledger, int_orders_despatch_due (routing, warehouses, services, cut-off
      rules, calendar), exception counts, timestamp conflicts, routing allocations and
      backorders. These are compared whole, so they cost a scan each build.
    `--full-refresh` rebuilds every order the same way. Not detected, as for the lifecycle
    models: an edited order_statuses seed (status ranks) or an edited model, and an order gone
    from its source (its row stays until the nightly `--full-refresh`, as its events do). -#}
{{ config(
    materialized='incremental',
    unique_key='order_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns'
) }}

{#- Incremental once the table has its bookkeeping column (macros/incremental_with.sql). -#}
{%- set incremental = incremental_with('_as_of_at') %}
with as_of as (
    select as_of_at from {{ ref('int_data_as_of') }}
),

due as (
    select * from {{ ref('int_orders_despatch_due') }}
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
{%- if incremental %}

touched as (
    -- Milestones rewritten since this table's last build: every change to the order's
    -- source rows, and new orders (int_orders_milestoned writes an order the build it first
    -- sees it, and a build of this table takes every row written after its previous one).
    select order_id from {{ ref('int_orders_milestoned') }}
    where _built_at > (
        select coalesce(max(_built_at), cast('1900-01-01' as {{ dbt.type_timestamp() }})) from {{ this }}
    )
    union
    -- The clock: "now" > deadline flips between the row's "now" and the new one when the
    -- deadline lies in [earlier, later).
    select built.order_id
    from {{ this }} as built
    cross join as_of
    where built._as_of_at is distinct from as_of.as_of_at
        and (
            built._as_of_at is null
            or as_of.as_of_at is null
            or (built.despatch_due_at >= least(built._as_of_at, as_of.as_of_at)
                and built.despatch_due_at < greatest(built._as_of_at, as_of.as_of_at))
            or (built.delivery_promised_by >= least(built._as_of_at, as_of.as_of_at)
                and built.delivery_promised_by < greatest(built._as_of_at, as_of.as_of_at))
        )
    union
    -- The label bookings ledger: the fields the row takes from it, computed again for the
    -- orders in the ledger now or when the row was built (the ledger's status is never
    -- null, so a row without one had no booking).
    select built.order_id
    from (
        select order_id from latest_booking
        union
        select order_id from {{ this }} where label_booking_status is not null
    ) as ledger_orders
    inner join {{ this }} as built on built.order_id = ledger_orders.order_id
    inner join {{ ref('int_orders_milestoned') }} as milestones on milestones.order_id = built.order_id
    left join latest_booking on latest_booking.order_id = built.order_id
    where built.label_booking_status is distinct from latest_booking.booking_status
        or built.label_failure_reason is distinct from latest_booking.failure_reason
        or built.tracking_number is distinct from coalesce(milestones.tracking_number, latest_booking.tracking_number)
        or built.carrier is distinct from coalesce(
            milestones.carrier, case when latest_booking.booking_status = 'booked' then 'Royal Mail' end
        )
    union
    -- Despatch due dates (routing, warehouses, services, cut-off rules, calendar); a row
    -- has a warehouse exactly when it had a due date.
    select coalesce(due.order_id, built.order_id)
    from due
    full outer join (select * from {{ this }} where warehouse_id is not null) as built
        on built.order_id = due.order_id
    where built.order_id is null
        or due.order_id is null
        or built.warehouse_id is distinct from due.warehouse_id
        or built.service_code is distinct from due.service_code
        or built.sla_started_at is distinct from due.sla_started_at
        or built.despatch_due_at is distinct from due.despatch_due_at
        or built.delivery_promised_by is distinct from due.delivery_promised_by
    union
    -- Exception counts.
    select coalesce(exception_counts.order_id, built.order_id)
    from exception_counts
    full outer join (select order_id, exception_count from {{ this }} where exception_count > 0) as built
        on built.order_id = exception_counts.order_id
    where built.exception_count is distinct from exception_counts.exception_count
    union
    -- Timestamp conflicts.
    select coalesce(conflicts.order_id, built.order_id)
    from conflicts
    full outer join (select order_id from {{ this }} where has_timestamp_conflict) as built
        on built.order_id = conflicts.order_id
    where built.order_id is null or conflicts.order_id is null
    union
    -- Routing: first allocations and backorders.
    select coalesce(allocations.order_id, built.order_id)
    from allocations
    full outer join (select order_id, allocated_at from {{ this }} where allocated_at is not null) as built
        on built.order_id = allocations.order_id
    where built.allocated_at is distinct from allocations.allocated_at
    union
    select coalesce(backordered.order_id, built.order_id)
    from backordered
    full outer join (select order_id from {{ this }} where is_backordered) as built
        on built.order_id = backordered.order_id
    where built.order_id is null or backordered.order_id is null
),
{%- endif %}

orders as (
    select * from {{ ref('int_orders_unioned') }}
    {%- if incremental %}
    where order_id in (select order_id from touched)
    {%- endif %}
),

milestones as (
    select * from {{ ref('int_orders_milestoned') }}
    {%- if incremental %}
    where order_id in (select order_id from touched)
    {%- endif %}
),

statuses as (
    select status, lifecycle_rank from {{ ref('order_statuses') }}
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
    rule_version,
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }}) as _built_at,
    as_of_at as _as_of_at
from joined
