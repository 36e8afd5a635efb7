{#- Order KPI tables counted per UTC placed day, incremental by day as kpi_daily is by local
    day: delete+insert on placed_on of the days of the orders fct_orders rewrote since the
    table's last build (its `_orders_built_through`, fct_orders' newest `_built_at` then).
    fct_orders rewrites an order for every change it sees (new orders, events, parcels,
    bookings, the clock's verdicts), and a day's counts need all its orders, so the unit is
    the day. A first or full build, or a table from before its bookkeeping column, counts
    every day. -#}

{#- Configures the calling model so, and returns the temporary table of the days to count
    again (macros/touched_table.sql), or none when every day is counted. -#}
{% macro incremental_by_placed_day() -%}
    {{- config(
        materialized='incremental',
        unique_key='placed_on',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns'
    ) -}}
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

{#- fct_orders' rows to count: those placed on the touched days, or all when ``touched`` is none. -#}
{% macro orders_to_count(touched) -%}
    select * from {{ ref('fct_orders') }}
    {%- if touched %}
    where cast(placed_at as date) in (select placed_on from {{ touched }})
    {%- endif %}
{%- endmacro %}

{#- The bookkeeping column: fct_orders' newest build this build counted from. -#}
{% macro orders_built_through() -%}
    (select max(_built_at) from {{ ref('fct_orders') }})
{%- endmacro %}
