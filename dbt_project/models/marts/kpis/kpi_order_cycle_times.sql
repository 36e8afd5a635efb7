{#- Orders counted per UTC placed day, channel, warehouse, cycle time to despatch and UTC despatch
    day, so the dashboards read thousands of rows instead of every order. The cycle time keeps fct_orders'
    minute precision, which bounds the rows per day; percentiles over any range of days and
    channels stay exact (each order's value is here, with its count), unlike percentiles
    summed from kpi_daily. Days are UTC, as the dashboards' date filter is.
    Incremental by UTC placed day (delete+insert on placed_on; macros/incremental_by_placed_day.sql):
    a build counts again the days of the orders fct_orders rewrote since its last build. -#}
{%- set touched = incremental_by_placed_day() %}

with counted as (
    select
        cast(placed_at as date) as placed_on,
        channel,
        warehouse_id,
        cycle_time_to_despatch_hours,
        cast(despatched_at as date) as despatched_on,
        count(*) as orders,
        count(despatched_at) as orders_despatched,
        count(despatched_on_time) as orders_with_despatch_verdict,
        count(case when despatched_on_time then 1 end) as orders_despatched_on_time,
        count(is_touchless) as orders_with_touchless_flag,
        count(case when is_touchless then 1 end) as orders_touchless,
        cast(coalesce(sum(exception_count), 0) as {{ dbt.type_bigint() }}) as exceptions,
        cast(coalesce(sum(customer_contacts), 0) as {{ dbt.type_bigint() }}) as customer_contacts
    from ({{ orders_to_count(touched) }}) as orders
    group by 1, 2, 3, 4, 5
)

select
    counted.*,
    {{ orders_built_through() }} as _orders_built_through
from counted
