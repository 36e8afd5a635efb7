{#- One row per order: when it reached each lifecycle milestone, its canonical status and
    how it ships. Status is the furthest status any event reached (order_statuses.csv
    ranks), so an event that arrives late or out of order never moves an order backwards;
    a final status (delivered, returned, cancelled) is never undone by a later scan.
    Incremental by order: a build recomputes the orders whose events int_order_events_unioned
    rewrote since this model's last build (its `_built_at` is later), which covers every
    change to an order's source rows, parcels and bookings, plus orders new here; merged on
    order_id. `--full-refresh` rebuilds all of them the same way. -#}
{{ config(
    materialized='incremental',
    unique_key='order_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns'
) }}

{#- Incremental once the table has its bookkeeping column (macros/incremental_with.sql). -#}
{%- set incremental = incremental_with('_built_at') %}
{%- if incremental %}
{%- set touched_sql %}
    select order_id from {{ ref('int_order_events_unioned') }}
    where _built_at > (
        select coalesce(max(_built_at), cast('1900-01-01' as {{ dbt.type_timestamp() }})) from {{ this }}
    )
    union
    -- An order with no event (an order file without a placement time) or new since.
    select order_id from {{ ref('int_orders_unioned') }}
    where placed_at is null or order_id not in (select order_id from {{ this }})
{%- endset %}
{#- The orders to recompute, in a temporary table (macros/touched_table.sql). -#}
{%- set touched = touched_table(touched_sql) %}
{%- endif %}
{#- The orders and events this build reads, as subqueries written where they are read rather
    than CTEs: DuckDB materializes a CTE read more than once, which at 10M orders copied all 79M
    events and 10M orders into memory before reading them (and spilled under the memory
    budget); read twice, the table is just scanned twice. -#}
{%- set touched_only %}
    {%- if incremental %} where order_id in (select order_id from {{ touched }}){% endif %}
{%- endset %}
{%- set orders %}(select * from {{ ref('int_orders_unioned') }}{{ touched_only }}){% endset %}
{%- set events %}(select * from {{ ref('int_order_events_unioned') }}{{ touched_only }}){% endset %}

with
event_types as (
    select * from {{ ref('event_types') }}
),

statuses as (
    select * from {{ ref('order_statuses') }}
),

ranked_events as (
    -- The rank of the status each event moves its order to (none for events that move none).
    select events.*, statuses.lifecycle_rank
    from {{ events }} as events
    left join event_types on event_types.event_type = events.event_type
    left join statuses on statuses.status = event_types.status_after
),

milestones as (
    select
        order_id,
        min(case when event_type = 'payment_authorised' then occurred_at end) as authorised_at,
        min(case when event_type = 'paid' then occurred_at end) as paid_at,
        min(case when event_type = 'label_booked' then occurred_at end) as label_booked_at,
        min(case when event_type = 'pick_started' then occurred_at end) as pick_started_at,
        min(case when event_type = 'packed' then occurred_at end) as packed_at,
        min(case when event_type = 'despatched' then occurred_at end) as despatched_at,
        min(case when event_type in ('in_transit', 'out_for_delivery', 'delivered', 'delivery_failed',
                                     'available_for_pickup') then occurred_at end) as first_carrier_scan_at,
        min(case when event_type = 'delivered' then occurred_at end) as delivered_at,
        min(case when event_type = 'refunded' then occurred_at end) as refunded_at,
        min(case when event_type = 'returned' then occurred_at end) as returned_at,
        min(case when event_type = 'cancelled' then occurred_at end) as cancelled_event_at,
        sum(case when actor = 'human' then 1 else 0 end) as manual_touches,
        sum(case when event_type = 'customer_contacted' then 1 else 0 end) as customer_contacts,
        max(rule_version) as rule_version,
        max(lifecycle_rank) as furthest_rank
    from ranked_events
    group by order_id
),

touches_before_despatch as (
    -- Touchless means no person handled the order between placement and despatch; a
    -- return processed by hand later does not make the fulfilment manual. Only human events
    -- count, so only they are joined to their order's despatch (every event was, and at 10M
    -- orders the join of 79M events was a third of this model).
    select
        events.order_id,
        count(*) as manual_touches_before_despatch
    from {{ events }} as events
    inner join milestones on milestones.order_id = events.order_id
    where events.actor = 'human'
        and (milestones.despatched_at is null or events.occurred_at <= milestones.despatched_at)
    group by events.order_id
),

furthest_status as (
    -- Ranks are unique (order_statuses.csv), so the furthest status is the one of the highest
    -- rank: a join on one aggregate rather than ranking every event in a window.
    select milestones.order_id, statuses.status, statuses.lifecycle_rank
    from milestones
    inner join statuses on statuses.lifecycle_rank = milestones.furthest_rank
),

shipping_by_warehouse as (
    -- Tracking numbers are unique parcels (tested), so counting rows counts parcels; grouping
    -- by warehouse first lists each warehouse once without DISTINCT aggregates, which cost
    -- more than both groupings together.
    select
        order_id,
        warehouse_id,
        count(*) as parcels,
        min(carrier) as carrier,
        min(service_code) as service_code,
        min(tracking_number) as tracking_number
    from {{ ref('int_order_parcels') }}
    {%- if incremental %}
    where order_id in (select order_id from {{ touched }})
    {%- endif %}
    group by order_id, warehouse_id
),

shipping as (
    -- The carrier and service from the parcels.
    select
        order_id,
        min(warehouse_id) as first_warehouse_id,
        count(warehouse_id) as warehouses,
        sum(parcels) as parcels,
        min(carrier) as carrier,
        min(service_code) as service_code,
        min(tracking_number) as tracking_number
    from shipping_by_warehouse
    group by order_id
),

split_warehouses as (
    -- An order split across warehouses names each one. Listing in order sorts each order's
    -- rows, which cost more than every other aggregate of the model together when done for
    -- every order; only split orders need it.
    select
        order_id,
        {{ dbt.listagg("warehouse_id", "', '", "order by warehouse_id") }} as warehouse_ids
    from shipping_by_warehouse
    where order_id in (select order_id from shipping where warehouses > 1)
    group by order_id
),

reported as (
    select orders.order_id, statuses.status, statuses.lifecycle_rank
    from {{ orders }} as orders
    inner join statuses on statuses.status = orders.reported_status
)

select
    orders.order_id,
    milestones.authorised_at,
    milestones.paid_at,
    milestones.label_booked_at,
    milestones.pick_started_at,
    milestones.packed_at,
    milestones.despatched_at,
    milestones.first_carrier_scan_at,
    milestones.delivered_at,
    coalesce(orders.cancelled_at, milestones.cancelled_event_at) as cancelled_at,
    milestones.refunded_at,
    milestones.returned_at,
    -- An order file's own status counts when it is further on than its events.
    case
        when reported.lifecycle_rank > coalesce(furthest_status.lifecycle_rank, 0) then reported.status
        else coalesce(furthest_status.status, 'placed')
    end as status,
    coalesce(split_warehouses.warehouse_ids, shipping.first_warehouse_id) as warehouse_ids,
    shipping.first_warehouse_id,
    coalesce(shipping.parcels, 0) > 1 as is_split_shipment,
    shipping.carrier,
    shipping.service_code,
    shipping.tracking_number,
    coalesce(milestones.manual_touches, 0) as manual_touches,
    coalesce(touches_before_despatch.manual_touches_before_despatch, 0) as manual_touches_before_despatch,
    coalesce(milestones.customer_contacts, 0) as customer_contacts,
    milestones.rule_version,
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }}) as _built_at
from {{ orders }} as orders
left join milestones on milestones.order_id = orders.order_id
left join furthest_status on furthest_status.order_id = orders.order_id
left join reported on reported.order_id = orders.order_id
left join shipping on shipping.order_id = orders.order_id
left join split_warehouses on split_warehouses.order_id = orders.order_id
left join touches_before_despatch on touches_before_despatch.order_id = orders.order_id
