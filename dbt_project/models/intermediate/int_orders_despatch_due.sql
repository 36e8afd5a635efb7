{#- When each order is due to leave the warehouse, and when it is promised to arrive.
    The SLA clock starts at payment authorisation (or placement, when paid at checkout).
    Started on a working day before the cut-off of the order's warehouse and service: due
    with that day's collection; otherwise with the next working day's. The service may add
    working days. Delivery is promised by the end of the day the service's delivery days
    after the despatch day. Local times are read in the warehouse's time zone, so British
    Summer Time is handled. Warehouse: the one that reported the order, else the routing
    plan's, else the default; service: the reported one, else the channel's. The cut-off
    and collection are those of the cutoffs rule version in force when the clock started
    (rules/cutoffs.yaml), so a later change never moves an earlier order's deadline. -#}
with orders as (
    select
        orders.order_id,
        orders.placed_at,
        milestones.authorised_at,
        milestones.paid_at,
        coalesce(
            milestones.first_warehouse_id, routed.warehouse_id, '{{ var("default_warehouse_id") }}'
        ) as warehouse_id,
        coalesce(
            milestones.service_code, channel_services.service_code, '{{ var("default_service_code") }}'
        ) as service_code
    from {{ ref('int_orders_unioned') }} as orders
    left join {{ ref('int_orders_milestoned') }} as milestones on milestones.order_id = orders.order_id
    left join (
        select order_id, min(warehouse_id) as warehouse_id
        from {{ ref('stg_routing__order_line_routes') }}
        group by order_id
    ) as routed on routed.order_id = orders.order_id
    left join {{ ref('channel_services') }} as channel_services on channel_services.channel = orders.channel
),

clock as (
    select
        order_id,
        warehouse_id,
        service_code,
        case
            when coalesce(authorised_at, paid_at) > placed_at then coalesce(authorised_at, paid_at)
            else placed_at
        end as sla_started_at
    from orders
),

rules as (
    select
        clock.*,
        warehouses.timezone,
        warehouses.holiday_region,
        cutoffs.cutoff_rule_version,
        cutoffs.despatch_cutoff_minutes,
        cutoffs.collection_minutes,
        services.despatch_extra_working_days,
        services.delivery_promise_working_days,
        {{ utc_to_local('clock.sla_started_at', 'warehouses.timezone') }} as started_local
    from clock
    inner join {{ ref('warehouses') }} as warehouses on warehouses.warehouse_id = clock.warehouse_id
    inner join {{ ref('stg_rules__cutoffs') }} as cutoffs
        on cutoffs.warehouse_id = clock.warehouse_id
        and cutoffs.service_code = clock.service_code
        and cutoffs.effective_from <= clock.sla_started_at
        and (cutoffs.effective_to is null or clock.sla_started_at < cutoffs.effective_to)
    inner join {{ ref('carrier_services') }} as services on services.service_code = clock.service_code
),

first_day as (
    select
        rules.*,
        calendar.working_day_number + case
            when calendar.is_working_day
                and rules.started_local < {{ dbt.dateadd(
                    'minute', 'rules.despatch_cutoff_minutes', 'cast(calendar.calendar_date as timestamp)'
                ) }}
                then 0
            else 1
        end as first_working_day_number
    from rules
    inner join {{ ref('int_business_days') }} as calendar
        on calendar.region = rules.holiday_region
        and calendar.calendar_date = cast(rules.started_local as date)
),

due_day as (
    select
        first_day.order_id,
        first_day.warehouse_id,
        first_day.service_code,
        first_day.cutoff_rule_version,
        first_day.timezone,
        first_day.holiday_region,
        first_day.collection_minutes,
        first_day.delivery_promise_working_days,
        first_day.sla_started_at,
        due_calendar.calendar_date as due_local_date,
        due_calendar.working_day_number as due_working_day_number
    from first_day
    inner join {{ ref('int_business_days') }} as due_calendar
        on due_calendar.region = first_day.holiday_region
        and due_calendar.is_working_day
        and due_calendar.working_day_number
            = first_day.first_working_day_number + first_day.despatch_extra_working_days
),

promise_day as (
    select
        due_day.*,
        promise_calendar.calendar_date as delivery_promised_local_date
    from due_day
    left join {{ ref('int_business_days') }} as promise_calendar
        on promise_calendar.region = due_day.holiday_region
        and promise_calendar.is_working_day
        and promise_calendar.working_day_number
            = due_day.due_working_day_number + due_day.delivery_promise_working_days
)

select
    order_id,
    warehouse_id,
    service_code,
    cutoff_rule_version,
    sla_started_at,
    due_local_date,
    {{ local_to_utc(
        dbt.dateadd('minute', 'collection_minutes', 'cast(due_local_date as timestamp)'),
        'timezone'
    ) }} as despatch_due_at,
    delivery_promised_local_date,
    -- The end of the promised day: a parcel delivered any time that day is on time.
    {{ local_to_utc(
        dbt.dateadd('day', '1', 'cast(delivery_promised_local_date as timestamp)'),
        'timezone'
    ) }} as delivery_promised_by
from promise_day
