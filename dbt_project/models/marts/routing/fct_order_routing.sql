{#- For each order line, the warehouse that ships it and why. Open orders carry the current
    routing plan (pipelines/routing, rule_version routing-v1); lines of orders a warehouse
    has already packed or despatched carry the warehouse that reported it. -#}
with planned as (
    select
        order_id, line_id, sku, quantity, warehouse_id, decision, reason, rule_version,
        routed_as_of as decided_at
    from {{ ref('stg_routing__order_line_routes') }}
),

reported_orders as (
    select orders.order_id, min(feed.warehouse_id) as warehouse_id, min(feed.occurred_at) as decided_at
    from {{ ref('stg_warehouse_feeds__fulfilment_events') }} as feed
    inner join {{ ref('int_orders_unioned') }} as orders on orders.order_name = feed.order_reference
    where feed.event_type in ('pick_started', 'packed', 'despatched')
    group by orders.order_id
),

reported as (
    select
        lines.order_id,
        lines.line_id,
        lines.sku,
        lines.quantity,
        reported_orders.warehouse_id,
        'reported_by_warehouse' as decision,
        'the warehouse reported handling the order' as reason,
        cast(null as {{ dbt.type_string() }}) as rule_version,
        reported_orders.decided_at
    from {{ ref('int_order_lines_unioned') }} as lines
    inner join reported_orders on reported_orders.order_id = lines.order_id
    where lines.order_id not in (select order_id from planned)
)

select
    {{ dbt.hash(dbt.concat(["order_id", "'|'", "line_id"])) }} as routing_id,
    order_id,
    line_id,
    sku,
    cast(quantity as {{ dbt.type_bigint() }}) as quantity,
    warehouse_id,
    decision,
    reason,
    rule_version,
    decided_at
from (
    select * from planned
    union all
    select * from reported
) as routed
