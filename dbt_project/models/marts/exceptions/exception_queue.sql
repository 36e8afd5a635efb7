{#- What people should work on now: open exceptions, oldest first, with the order's context.
    at_risk_today marks orders due to leave with today's collection (warehouse local day)
    that have not left yet, so the team can save today's cut-off first. -#}
with open_exceptions as (
    select * from {{ ref('fct_exceptions') }} where is_open
),

orders as (
    select * from {{ ref('fct_orders') }}
),

due as (
    select
        due.order_id,
        due.due_local_date,
        cast({{ utc_to_local('as_of.as_of_at', 'warehouses.timezone') }} as date) as today_local_date,
        as_of.as_of_at
    from {{ ref('int_orders_despatch_due') }} as due
    inner join {{ ref('warehouses') }} as warehouses on warehouses.warehouse_id = due.warehouse_id
    cross join {{ ref('int_data_as_of') }} as as_of
)

select
    open_exceptions.exception_id,
    open_exceptions.order_id,
    orders.order_name,
    orders.channel,
    orders.warehouse_id,
    orders.status as order_status,
    open_exceptions.reason,
    open_exceptions.detail,
    open_exceptions.owner,
    open_exceptions.holds_fulfilment,
    open_exceptions.owner_rule_version,
    open_exceptions.opened_at,
    open_exceptions.age_hours,
    case
        when open_exceptions.age_hours < 4 then 'under 4h'
        when open_exceptions.age_hours < 24 then '4-24h'
        when open_exceptions.age_hours < 72 then '1-3 days'
        else 'over 3 days'
    end as age_bucket,
    orders.despatch_due_at,
    coalesce(
        orders.despatched_at is null
            and orders.cancelled_at is null
            and due.due_local_date = due.today_local_date
            and orders.despatch_due_at >= due.as_of_at,
        false
    ) as at_risk_today
from open_exceptions
inner join orders on orders.order_id = open_exceptions.order_id
left join due on due.order_id = open_exceptions.order_id
order by open_exceptions.opened_at
