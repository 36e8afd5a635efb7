{#- Daily KPIs over the orders placed each day (reporting time zone), overall and by
    channel, by warehouse and by carrier service. dimension says which breakdown a row
    belongs to; the other breakdown columns hold 'all'. Percentiles are not additive, so
    every breakdown is computed from orders, never summed from another row.
    Incremental by day (delete+insert on kpi_date): a build recomputes every row of the days
    that hold an order fct_orders rewrote since this table's last build (`_orders_built_through`,
    its newest `_built_at` then), which covers new orders and every change fct_orders sees,
    and of the days of the orders routing plans or ever found short (their lines' fill and
    backorders come from the current plan, which fct_orders follows only as a flag). A day's
    percentiles need all its orders, so the unit is the day. `--full-refresh` (the nightly
    job) rebuilds every day; it is needed after a change of var reporting_timezone. -#}
{{ config(
    materialized='incremental',
    unique_key='kpi_date',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns'
) }}

{%- set kpi_date_sql = "cast(" ~ utc_to_local('placed_at', "'" ~ var('reporting_timezone') ~ "'") ~ " as date)" %}
{#- Incremental once the table has its bookkeeping column (macros/incremental_with.sql). -#}
{%- set incremental = incremental_with('_orders_built_through') %}
{%- if incremental %}
{%- set touched_sql %}
    select distinct {{ kpi_date_sql }} as kpi_date
    from {{ ref('fct_orders') }}
    where _built_at > (
            select coalesce(max(_orders_built_through), cast('1900-01-01' as {{ dbt.type_timestamp() }}))
            from {{ this }}
        )
        or order_id in (select order_id from {{ ref('stg_routing__order_line_routes') }})
        or order_id in (select order_id from {{ ref('stg_routing__stock_shortages') }})
{%- endset %}
{#- The days to recompute, in a temporary table the orders join to (macros/touched_table.sql). -#}
{%- set touched = touched_table(touched_sql) %}
{%- endif %}

with orders as (
    select * from (
        select
            {{ kpi_date_sql }} as kpi_date,
            channel,
            coalesce(warehouse_id, 'none') as warehouse_id,
            coalesce(carrier, 'none') as carrier,
            coalesce(service_code, 'none') as service_code,
            order_id,
            cycle_time_to_despatch_hours,
            despatched_on_time,
            despatched_at,
            is_touchless,
            exception_count,
            customer_contacts,
            label_booking_status,
            has_timestamp_conflict
        from {{ ref('fct_orders') }}
        {%- if incremental %}
        -- A UTC day is within a day of the local one: the cheap filter first (it skips the time
        -- zone conversion of the other days' orders), then the exact day.
        where cast(placed_at as date) in (
            select cast({{ dbt.dateadd('day', 'offsets.day_offset', 'touched.kpi_date') }} as date)
            from {{ touched }} as touched
            cross join (select -1 as day_offset union all select 0 union all select 1) as offsets
        )
        {%- endif %}
    ) as placed
    {%- if incremental %}
    where kpi_date in (select kpi_date from {{ touched }})
    {%- endif %}
),

lines as (
    -- A line is filled unless the current routing plan backorders it.
    select
        lines.order_id,
        count(*) as lines,
        sum(case when routes.decision = 'backordered' then 0 else 1 end) as lines_filled,
        sum(case when routes.decision = 'backordered' then lines.quantity else 0 end) as units_oversold
    from {{ ref('int_order_lines_unioned') }} as lines
    left join {{ ref('stg_routing__order_line_routes') }} as routes
        on routes.order_id = lines.order_id and routes.line_id = lines.line_id
    {%- if incremental %}
    where lines.order_id in (select order_id from orders)
    {%- endif %}
    group by lines.order_id
),

shortages as (
    select distinct order_id from {{ ref('stg_routing__stock_shortages') }}
),

booking_failures as (
    select order_id, max(case when booking_status = 'failed' then 1 else 0 end) as had_failure
    from {{ ref('stg_actions__label_bookings') }}
    where booking_status in ('booked', 'failed')
    group by order_id
),

measured as (
    select
        orders.*,
        booking_failures.order_id is not null as had_booking_attempt,
        coalesce(booking_failures.had_failure, 0) as had_booking_failure,
        shortages.order_id is not null as was_backordered,
        coalesce(lines.lines, 0) as lines,
        coalesce(lines.lines_filled, 0) as lines_filled,
        coalesce(lines.units_oversold, 0) as units_oversold
    from orders
    left join booking_failures on booking_failures.order_id = orders.order_id
    left join shortages on shortages.order_id = orders.order_id
    left join lines on lines.order_id = orders.order_id
),

aggregated as (
    select
        kpi_date,
        case
            when grouping(channel) = 0 then 'channel'
            when grouping(warehouse_id) = 0 then 'warehouse'
            when grouping(service_code) = 0 then 'carrier_service'
            else 'all'
        end as dimension,
        coalesce(channel, 'all') as channel,
        coalesce(warehouse_id, 'all') as warehouse_id,
        coalesce(carrier, 'all') as carrier,
        coalesce(service_code, 'all') as service_code,
        count(*) as orders,
        sum(case when despatched_at is not null then 1 else 0 end) as orders_despatched,
        {{ percentile('cycle_time_to_despatch_hours', 0.5) }} as cycle_time_p50_hours,
        {{ percentile('cycle_time_to_despatch_hours', 0.9) }} as cycle_time_p90_hours,
        avg(case when despatched_on_time then 1.0 when not despatched_on_time then 0.0 end) * 100
            as on_time_despatch_pct,
        avg(case when despatched_at is not null then case when is_touchless then 1.0 else 0.0 end end) * 100
            as touchless_pct,
        sum(exception_count) * 100.0 / count(*) as exceptions_per_100_orders,
        case when sum(case when had_booking_attempt then 1 else 0 end) > 0 then
            sum(had_booking_failure) * 100.0 / sum(case when had_booking_attempt then 1 else 0 end)
        end as carrier_booking_failure_pct,
        sum(customer_contacts) * 1000.0 / count(*) as contacts_per_1000_orders,
        sum(case when was_backordered then 1 else 0 end) * 100.0 / count(*) as backorder_rate_pct,
        case when sum(lines) > 0 then sum(lines_filled) * 100.0 / sum(lines) end as fill_rate_pct,
        sum(units_oversold) as oversold_units,
        sum(case when has_timestamp_conflict then 1 else 0 end) as orders_excluded_for_conflicts
    from measured
    group by grouping sets (
        (kpi_date),
        (kpi_date, channel),
        (kpi_date, warehouse_id),
        (kpi_date, carrier, service_code)
    )
)

select
    {{ dbt.hash(dbt.concat([dbt.safe_cast("kpi_date", dbt.type_string()), "'|'", "dimension", "'|'", "channel",
                            "'|'", "warehouse_id", "'|'", "carrier", "'|'", "service_code"])) }} as kpi_row_id,
    kpi_date,
    dimension,
    channel,
    warehouse_id,
    carrier,
    service_code,
    cast(orders as {{ dbt.type_bigint() }}) as orders,
    cast(orders_despatched as {{ dbt.type_bigint() }}) as orders_despatched,
    cast(cycle_time_p50_hours as {{ dbt.type_float() }}) as cycle_time_p50_hours,
    cast(cycle_time_p90_hours as {{ dbt.type_float() }}) as cycle_time_p90_hours,
    cast(on_time_despatch_pct as {{ dbt.type_float() }}) as on_time_despatch_pct,
    cast(touchless_pct as {{ dbt.type_float() }}) as touchless_pct,
    cast(exceptions_per_100_orders as {{ dbt.type_float() }}) as exceptions_per_100_orders,
    cast(carrier_booking_failure_pct as {{ dbt.type_float() }}) as carrier_booking_failure_pct,
    cast(contacts_per_1000_orders as {{ dbt.type_float() }}) as contacts_per_1000_orders,
    cast(backorder_rate_pct as {{ dbt.type_float() }}) as backorder_rate_pct,
    cast(fill_rate_pct as {{ dbt.type_float() }}) as fill_rate_pct,
    cast(oversold_units as {{ dbt.type_bigint() }}) as oversold_units,
    cast(orders_excluded_for_conflicts as {{ dbt.type_bigint() }}) as orders_excluded_for_conflicts,
    (select max(_built_at) from {{ ref('fct_orders') }}) as _orders_built_through
from aggregated
