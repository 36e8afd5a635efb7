{#- Stock held for open orders, per warehouse and SKU: the routed lines of orders still
    awaiting fulfilment. A reservation is made at payment authorisation (an order enters
    routing once its payment is secured) and released when the order is cancelled or
    despatched (it leaves int_orders_awaiting_fulfilment) or when an uncaptured
    authorisation times out (authorisation_expires_at), judged at the time the routing plan
    was made, so reservations and the plan always agree. -#}
with routes as (
    select * from {{ ref('stg_routing__order_line_routes') }}
    where warehouse_id is not null
),

awaiting as (
    select * from {{ ref('int_orders_awaiting_fulfilment') }}
)

select
    routes.warehouse_id,
    routes.sku,
    cast(sum(routes.quantity) as {{ dbt.type_bigint() }}) as reserved_units,
    count(distinct routes.order_id) as orders
from routes
inner join awaiting on awaiting.order_id = routes.order_id
where awaiting.authorisation_expires_at is null or awaiting.authorisation_expires_at > routes.routed_as_of
group by routes.warehouse_id, routes.sku
