{#- When each order is due to leave the warehouse.
    Placed on a working day before the warehouse cut-off: due with that day's collection.
    Otherwise: due with the collection of the next working day. Local times are read in
    the warehouse's time zone, so British Summer Time is handled. -#}
with orders as (
    select order_id, placed_at from {{ ref('int_orders_unioned') }}
),

warehouse as (
    -- Routing comes later; until then every order ships from the default warehouse.
    select * from {{ ref('warehouses') }} where warehouse_id = '{{ var("default_warehouse_id", "main") }}'
),

placed as (
    select
        orders.order_id,
        warehouse.warehouse_id,
        warehouse.timezone,
        warehouse.holiday_region,
        warehouse.despatch_cutoff_minutes,
        warehouse.collection_minutes,
        {{ utc_to_local('orders.placed_at', 'warehouse.timezone') }} as placed_local
    from orders
    cross join warehouse
),

due_day as (
    select
        placed.order_id,
        placed.warehouse_id,
        placed.timezone,
        placed.collection_minutes,
        case
            when calendar.is_working_day
                and placed.placed_local < {{ dbt.dateadd(
                    'minute', 'placed.despatch_cutoff_minutes', 'cast(calendar.calendar_date as timestamp)'
                ) }}
                then calendar.calendar_date
            else calendar.following_working_day
        end as due_local_date
    from placed
    inner join {{ ref('int_business_days') }} as calendar
        on calendar.region = placed.holiday_region
        and calendar.calendar_date = cast(placed.placed_local as date)
)

select
    order_id,
    warehouse_id,
    due_local_date,
    {{ local_to_utc(
        dbt.dateadd('minute', 'collection_minutes', 'cast(due_local_date as timestamp)'),
        'timezone'
    ) }} as despatch_due_at
from due_day
