{#- Orders that may need a carrier label now, from every channel: paid, not cancelled, not
    yet despatched, with what the label, hold and priority rules (rules/labels.yaml,
    holds.yaml, priorities.yaml) decide on: whether the latest delivery contact passed
    validation, whether routing found stock for every line, the payment's fraud risk score
    and open review (Stripe), and whether the service is express. The booking action applies the rules in force and consults its ledger, so an
    order already booked (or rejected for the same address) is not sent again. Built before
    the actions run, so it must not depend on the ledger itself.

    order_reference is the Click & Drop orderReference (its idempotency key, printed on the
    label): a Shopify order's name ("#1001", unchanged so earlier bookings keep their key),
    otherwise "<channel>:<order number>" ("woocommerce:40012", "ebay:12-34567-89012"), which
    no two channels can share. -#}
with shopify as (
    select
        order_id, order_name as order_reference, channel, placed_at, currency_code, subtotal_amount,
        shipping_amount, total_amount, email, ship_to_name, ship_to_address1, ship_to_address2,
        ship_to_city, ship_to_postcode, ship_to_country_code
    from {{ ref('stg_shopify__orders') }}
    where financial_status = 'PAID'
        and cancelled_at is null
        and fulfillment_status = 'UNFULFILLED'
),

handled_by_a_warehouse as (
    -- WooCommerce hears nothing back when a label is booked, so its orders stay
    -- processing; the warehouse's report that it packed one says it is sent. (Order files
    -- say so themselves in a later export, and their bare numbers could name another
    -- channel's order in a feed.)
    select distinct order_reference
    from {{ ref('stg_warehouse_feeds__fulfilment_events') }}
    where event_type in ('packed', 'despatched') and order_reference is not null
),

woocommerce as (
    -- processing: paid and waiting to be sent (completed means the merchant sent it).
    select
        order_id, {{ dbt.concat(["'woocommerce:'", "order_name"]) }} as order_reference, channel, placed_at,
        currency_code, total_amount - shipping_amount as subtotal_amount, shipping_amount, total_amount,
        email, ship_to_name, ship_to_address1, ship_to_address2, ship_to_city, ship_to_postcode,
        ship_to_country_code
    from {{ ref('stg_woocommerce__orders') }}
    where woocommerce_status = 'processing'
        and order_name not in (select order_reference from handled_by_a_warehouse)
),

order_files as (
    -- Paid per the file's latest export (every line of an order shares its status); a
    -- later export saying despatched or cancelled takes it out of the queue.
    select
        {{ dbt.concat(["channel", "':'", "order_id"]) }} as order_id,
        {{ dbt.concat(["channel", "':'", "order_id"]) }} as order_reference,
        channel,
        min(placed_at) as placed_at,
        max(currency_code) as currency_code,
        -- Files carry no shipping charge: the lines are the goods, the total what was paid.
        sum(coalesce(unit_price * quantity, 0)) as subtotal_amount,
        cast(0 as decimal(18, 2)) as shipping_amount,
        coalesce(max(total_amount), sum(coalesce(unit_price * quantity, 0))) as total_amount,
        max(email) as email,
        max(ship_to_name) as ship_to_name,
        max(ship_to_address1) as ship_to_address1,
        max(ship_to_address2) as ship_to_address2,
        max(ship_to_city) as ship_to_city,
        max(ship_to_postcode) as ship_to_postcode,
        max(ship_to_country_code) as ship_to_country_code
    from {{ ref('stg_order_files__order_lines') }}
    group by channel, order_id
    having min(status) = 'paid' and max(status) = 'paid'
),

orders as (
    select * from shopify
    union all select * from woocommerce
    union all select * from order_files
),

latest_contact_check as (
    -- The check of the contact as it is now (its current fingerprint), not merely the
    -- newest check: an address changed back to an earlier version keeps that version's verdict.
    select contacts.order_id, checks.is_address_valid, checks.is_phone_valid
    from {{ ref('int_order_contacts_unioned') }} as contacts
    inner join {{ ref('stg_validation__order_contact_checks') }} as checks
        on checks.order_id = contacts.order_id
        and checks.contact_fingerprint = contacts.contact_fingerprint
),

routing as (
    select
        order_id,
        min(warehouse_id) as warehouse_id,
        max(case when decision = 'backordered' then 1 else 0 end) as has_backorder
    from {{ ref('stg_routing__order_line_routes') }}
    group by order_id
)

select
    orders.order_id,
    orders.order_reference,
    orders.channel,
    orders.placed_at,
    orders.currency_code,
    orders.subtotal_amount,
    orders.shipping_amount,
    orders.total_amount,
    orders.email,
    orders.ship_to_name,
    orders.ship_to_address1,
    orders.ship_to_address2,
    orders.ship_to_city,
    orders.ship_to_postcode,
    orders.ship_to_country_code,
    routing.warehouse_id,
    coalesce(latest_contact_check.is_address_valid, false) as is_address_valid,
    coalesce(latest_contact_check.is_phone_valid, false) as is_phone_valid,
    coalesce(routing.has_backorder = 0 and routing.warehouse_id is not null, false) as is_routed_with_stock,
    payment_risk.fraud_risk_score,
    payment_risk.fraud_risk_level,
    coalesce(payment_risk.has_open_payment_review, false) as has_open_payment_review,
    coalesce(payment_risk.is_payment_review_approved, false) as is_payment_review_approved,
    services.service_code as channel_service_code,
    coalesce(carrier_services.is_express, false) as is_express,
    {{ dbt.hash(dbt.concat([
        "coalesce(orders.ship_to_name, '')", "'|'", "coalesce(orders.ship_to_address1, '')", "'|'",
        "coalesce(orders.ship_to_address2, '')", "'|'", "coalesce(orders.ship_to_city, '')", "'|'",
        "coalesce(orders.ship_to_postcode, '')", "'|'", "coalesce(orders.ship_to_country_code, '')"
    ])) }} as address_fingerprint
from orders
left join latest_contact_check on latest_contact_check.order_id = orders.order_id
left join routing on routing.order_id = orders.order_id
left join {{ ref('int_order_payment_risk') }} as payment_risk on payment_risk.order_id = orders.order_id
left join {{ ref('channel_services') }} as services on services.channel = orders.channel
left join {{ ref('carrier_services') }} as carrier_services on carrier_services.service_code = services.service_code
