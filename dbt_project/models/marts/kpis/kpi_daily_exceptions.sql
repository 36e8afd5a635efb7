{#- Exceptions per 100 orders by reason, per day of placement (reporting time zone),
    overall and by channel. Orders with no exception still count in the denominator. -#}
with orders as (
    select
        order_id,
        channel,
        cast({{ utc_to_local('placed_at', "'" ~ var('reporting_timezone') ~ "'") }} as date) as kpi_date
    from {{ ref('fct_orders') }}
),

daily_orders as (
    select kpi_date, channel, count(*) as orders from orders group by kpi_date, channel
    union all
    select kpi_date, 'all', count(*) from orders group by kpi_date
),

exceptions as (
    select orders.kpi_date, orders.channel, exceptions.reason
    from {{ ref('fct_exceptions') }} as exceptions
    inner join orders on orders.order_id = exceptions.order_id
),

daily_exceptions as (
    select kpi_date, channel, reason, count(*) as exceptions from exceptions group by kpi_date, channel, reason
    union all
    select kpi_date, 'all', reason, count(*) from exceptions group by kpi_date, reason
)

select
    daily_exceptions.kpi_date,
    daily_exceptions.channel,
    daily_exceptions.reason,
    cast(daily_exceptions.exceptions as {{ dbt.type_bigint() }}) as exceptions,
    cast(daily_orders.orders as {{ dbt.type_bigint() }}) as orders,
    cast(daily_exceptions.exceptions * 100.0 / daily_orders.orders as {{ dbt.type_float() }})
        as exceptions_per_100_orders
from daily_exceptions
inner join daily_orders
    on daily_orders.kpi_date = daily_exceptions.kpi_date
    and daily_orders.channel = daily_exceptions.channel
