{#- Orders that may need a carrier label now: paid, not cancelled, not yet despatched,
    with what the label, hold and priority rules (rules/labels.yaml, holds.yaml,
    priorities.yaml) decide on: whether the latest delivery contact passed validation,
    whether routing found stock for every line, and whether the service is express. The
    booking action applies the rules in force and consults its ledger, so an order
    already booked (or rejected for the same address) is not sent again. Built before the
    actions run, so it must not depend on the ledger itself. -#}
with orders as (
    select * from {{ ref('stg_shopify__orders') }}
    where financial_status = 'PAID'
        and cancelled_at is null
        and fulfillment_status = 'UNFULFILLED'
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
    orders.order_name as order_reference,
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
left join {{ ref('channel_services') }} as services on services.channel = orders.channel
left join {{ ref('carrier_services') }} as carrier_services on carrier_services.service_code = services.service_code
