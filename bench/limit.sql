-- The limit: fct_orders and kpi_daily straight from the raw files, in one DuckDB pass.
-- What any pipeline over DuckDB can at best approach: no loader, no staging layers, no
-- tests, only the joins and aggregates the two marts need, with orderloop's definitions
-- (milestones are the first event of each kind; cycle time counts minute boundaries from
-- placement to despatch; days are Europe/London). {world} is the world's folder.
set timezone = 'UTC';

create table fct_orders as
with orders as (
    select id as order_id, _dlt_id, created_at as placed_at, cancelled_at
    from read_parquet('{world}/batch=*/shopify/orders.parquet', hive_partitioning = false)
),

payments as (
    select
        _dlt_parent_id,
        min(case when kind = 'AUTHORIZATION' and status = 'SUCCESS' then processed_at end) as authorised_at,
        min(case when kind in ('CAPTURE', 'SALE') and status = 'SUCCESS' then processed_at end) as paid_at
    from read_parquet('{world}/batch=*/shopify/orders__transactions.parquet', hive_partitioning = false)
    group by _dlt_parent_id
),

fulfillments as (
    select fulfillments._dlt_parent_id, fulfillments.created_at, tracking.number as tracking_number
    from read_parquet('{world}/batch=*/shopify/orders__fulfillments.parquet', hive_partitioning = false)
        as fulfillments
    left join read_parquet(
        '{world}/batch=*/shopify/orders__fulfillments__tracking_info.parquet', hive_partitioning = false
    ) as tracking on tracking._dlt_parent_id = fulfillments._dlt_id
),

despatches as (
    select _dlt_parent_id, min(created_at) as despatched_at, min(tracking_number) as tracking_number
    from fulfillments
    group by _dlt_parent_id
),

carrier as (
    select
        tracking_code,
        min(case when status = 'in_transit' then created_at end) as first_carrier_scan_at,
        min(case when status = 'delivered' then created_at end) as delivered_at
    from read_parquet('{world}/batch=*/easypost/tracker_events.parquet', hive_partitioning = false)
    group by tracking_code
)

select
    orders.order_id,
    orders.placed_at,
    payments.authorised_at,
    payments.paid_at,
    despatches.despatched_at,
    carrier.delivered_at,
    orders.cancelled_at,
    date_diff('minute', orders.placed_at, despatches.despatched_at) / 60.0 as cycle_time_to_despatch_hours
from orders
left join payments on payments._dlt_parent_id = orders._dlt_id
left join despatches on despatches._dlt_parent_id = orders._dlt_id
left join carrier on carrier.tracking_code = despatches.tracking_number;

create table kpi_daily as
select
    cast(timezone('Europe/London', placed_at) as date) as kpi_date,
    count(*) as orders,
    count(despatched_at) as orders_despatched,
    percentile_cont(0.5) within group (order by cycle_time_to_despatch_hours) as cycle_time_p50_hours
from fct_orders
group by kpi_date
order by kpi_date;
