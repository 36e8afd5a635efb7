{#- Orders the warehouses should ship and have not yet: payment secured, not cancelled, not
    packed or despatched by any warehouse, not fulfilled in the channel. This is what
    routing allocates stock to. Read from the channels and warehouse feeds only (not the
    lifecycle marts), so routing can run before the actions. -#}
{{ config(tags=['python_input']) }}

with shopify_payments as (
    select order_id, min(processed_at) as payment_secured_at
    from {{ ref('stg_shopify__transactions') }}
    where status = 'SUCCESS' and kind in ('AUTHORIZATION', 'CAPTURE', 'SALE')
    group by order_id
),

shopify as (
    select
        orders.order_id, orders.order_name, orders.channel, orders.placed_at,
        coalesce(payments.payment_secured_at, orders.placed_at) as payment_secured_at,
        orders.financial_status = 'AUTHORIZED' as is_authorisation_only
    from {{ ref('stg_shopify__orders') }} as orders
    left join shopify_payments as payments on payments.order_id = orders.order_id
    where orders.cancelled_at is null
        and orders.financial_status in ('AUTHORIZED', 'PAID', 'PARTIALLY_PAID')
        and orders.fulfillment_status in ('UNFULFILLED', 'SCHEDULED', 'ON_HOLD', 'OPEN')
),

woocommerce as (
    select
        order_id, order_name, channel, placed_at, coalesce(paid_at, placed_at) as payment_secured_at,
        false as is_authorisation_only
    from {{ ref('stg_woocommerce__orders') }}
    where woocommerce_status = 'processing'
),

order_files as (
    select
        {{ dbt.concat(["channel", "':'", "order_id"]) }} as order_id,
        order_id as order_name,
        channel,
        min(placed_at) as placed_at,
        min(placed_at) as payment_secured_at,
        max(status) = 'payment_authorised' as is_authorisation_only
    from {{ ref('stg_order_files__order_lines') }}
    group by channel, order_id
    having max(status) in ('paid', 'payment_authorised')
),

candidates as (
    select * from shopify
    union all select * from woocommerce
    union all select * from order_files
),

handled_by_a_warehouse as (
    select distinct order_reference
    from {{ ref('stg_warehouse_feeds__fulfilment_events') }}
    where event_type in ('packed', 'despatched')
)

select
    candidates.order_id,
    candidates.order_name,
    candidates.channel,
    candidates.placed_at,
    candidates.payment_secured_at,
    -- An authorisation not captured within the timeout lapses, and with it the reservation.
    case when candidates.is_authorisation_only then
        {{ dbt.dateadd('hour', var('authorisation_timeout_hours'), 'candidates.payment_secured_at') }}
    end as authorisation_expires_at,
    services.service_code,
    carrier_services.is_express
from candidates
left join {{ ref('channel_services') }} as services on services.channel = candidates.channel
left join {{ ref('carrier_services') }} as carrier_services on carrier_services.service_code = services.service_code
where candidates.order_name not in (select order_reference from handled_by_a_warehouse)
