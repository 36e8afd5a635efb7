{#- Orders counted per UTC placed day, channel, warehouse, carrier, service, milestone and hours
    from placed to that milestone, so the Cycle time page's breakdowns read thousands of rows
    instead of every order, with exact percentiles (each value is here with its count).
    Incremental by UTC placed day (delete+insert on placed_on; macros/incremental_by_placed_day.sql):
    a build counts again the days of the orders fct_orders rewrote since its last build. -#}
{%- set touched = incremental_by_placed_day() %}

with orders as (
    {{ orders_to_count(touched) }}
),

milestones as (
    select placed_at, channel, warehouse_id, carrier, service_code,
        'despatch' as milestone, cycle_time_to_despatch_hours as hours
    from orders
    where cycle_time_to_despatch_hours is not null
    union all
    select placed_at, channel, warehouse_id, carrier, service_code,
        'delivery' as milestone, cycle_time_to_delivery_hours as hours
    from orders
    where cycle_time_to_delivery_hours is not null
),

counted as (
    select
        cast(placed_at as date) as placed_on,
        channel,
        warehouse_id,
        carrier,
        service_code,
        milestone,
        hours,
        count(*) as orders
    from milestones
    group by 1, 2, 3, 4, 5, 6, 7
)

select
    counted.*,
    {{ orders_built_through() }} as _orders_built_through
from counted
