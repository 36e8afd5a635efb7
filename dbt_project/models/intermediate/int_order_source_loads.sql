{#- Which dlt load last wrote each source row that feeds an order's lifecycle, by order:
    the incremental lifecycle models rebuild the orders named by rows loaded since their own
    last build (docs/architecture.md). A view: consumers filter on dlt_load_id, and the
    filter reaches each source table's scan, so a build reads only the new rows' keys.
    Rows reach orders as the lifecycle links them: by order id (channels, order files), by
    the channel's order number (payments, warehouse feeds, helpdesk) and by tracking number
    (carrier events). Shopify's nested tables (transactions, fulfilments) have no load id of
    their own; dlt rewrites them with their order, whose load id counts for them.
    dlt load ids are Unix times as text with ten integer digits, so they compare as text. -#}
with orders as (
    select order_id, order_name from {{ ref('int_orders_unioned') }}
),

by_order_id as (
    {{ source_loads('shopify', 'orders', 'id') }}
    union all
    {{ source_loads('woocommerce', 'orders', 'id') }}
    union all
    {{ source_loads('woocommerce', 'order_refunds', 'order_id') }}
    union all
    {{ source_loads('order_files', 'order_lines', dbt.concat(["channel", "':'", "order_id"])) }}
),

stripe_loads as (
    {{ source_loads('stripe', 'events', 'id') }}
),

ticket_loads as (
    {{ source_loads('zendesk', 'tickets', 'id') }}
),

by_order_name as (
    {{ source_loads('warehouse_feeds', 'fulfilment', 'order_reference') }}
    union all
    {{ source_loads('warehouse_feeds', 'returns', 'order_reference') }}
    union all
    -- A Stripe review names no order: staging gives it its PaymentIntent's.
    select coalesce(stripe.order_reference, stripe.order_id) as order_key, stripe_loads.dlt_load_id
    from stripe_loads
    inner join {{ ref('stg_stripe__payment_events') }} as stripe on stripe.event_id = stripe_loads.order_key
    union all
    select tickets.order_reference as order_key, ticket_loads.dlt_load_id
    from ticket_loads
    inner join {{ ref('stg_zendesk__tickets') }} as tickets
        on {{ dbt.safe_cast("tickets.ticket_id", dbt.type_string()) }} = ticket_loads.order_key
),

by_tracking_number as (
    {{ source_loads('easypost', 'tracker_events', 'tracking_code') }}
)

select order_key as order_id, dlt_load_id from by_order_id
union all
select orders.order_id, by_order_name.dlt_load_id
from by_order_name
inner join orders on orders.order_name = by_order_name.order_key
union all
select parcels.order_id, by_tracking_number.dlt_load_id
from by_tracking_number
inner join {{ ref('int_order_parcels') }} as parcels on parcels.tracking_number = by_tracking_number.order_key
