{#- Orders whose milestones contradict each other: one row per order and conflict. Such
    orders are flagged in fct_orders (has_timestamp_conflict) and left out of cycle-time
    KPIs rather than averaged in. A conflict usually means a source's clock or time zone
    is wrong, so the row names both timestamps. -#}
with orders as (
    select
        orders.order_id,
        orders.channel,
        orders.placed_at,
        milestones.despatched_at,
        milestones.delivered_at
    from {{ ref('int_orders_unioned') }} as orders
    inner join {{ ref('int_orders_milestoned') }} as milestones on milestones.order_id = orders.order_id
),

conflicts as (
    select
        order_id, channel, 'despatched_before_placed' as conflict,
        despatched_at as earlier_at, placed_at as later_at
    from orders
    where despatched_at < placed_at
    union all
    select
        order_id, channel, 'delivered_before_despatched' as conflict,
        delivered_at as earlier_at, despatched_at as later_at
    from orders
    where delivered_at < despatched_at
    union all
    select
        order_id, channel, 'delivered_before_placed' as conflict,
        delivered_at as earlier_at, placed_at as later_at
    from orders
    where delivered_at < placed_at
)

select * from conflicts
