{#- The UTC placed days an incremental build of an order KPI table must count again: the days
    of the orders fct_orders rewrote since the table's last build (its `_orders_built_through`,
    fct_orders' newest `_built_at` then). fct_orders rewrites an order for every change it
    sees (new orders, events, parcels, bookings, the clock's verdicts), and a day's counts need
    all its orders, so the unit is the day, as in kpi_daily (whose days are local). Returns the
    temporary table of days (macros/touched_table.sql), or none when the build counts every day:
    a first or full build, or a table from before its bookkeeping column. -#}
{% macro placed_days_touched() -%}
    {%- if not incremental_with('_orders_built_through') -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set days_sql -%}
        select distinct cast(placed_at as date) as placed_on
        from {{ ref('fct_orders') }}
        where _built_at > (
            select coalesce(max(_orders_built_through), cast('1900-01-01' as {{ dbt.type_timestamp() }}))
            from {{ this }}
        )
    {%- endset -%}
    {{- return(touched_table(days_sql)) -}}
{%- endmacro %}
