{#- Orders that should get a carrier label: paid, not cancelled, not yet despatched.
    The booking action reads this and consults its ledger, so an order already booked
    (or rejected for the same address) is not sent again. Built before the actions run,
    so it must not depend on the ledger itself. -#}
select
    order_id,
    order_name as order_reference,
    placed_at,
    currency_code,
    subtotal_amount,
    shipping_amount,
    total_amount,
    email,
    ship_to_name,
    ship_to_address1,
    ship_to_address2,
    ship_to_city,
    ship_to_postcode,
    ship_to_country_code,
    {{ dbt.hash(dbt.concat([
        "coalesce(ship_to_name, '')", "'|'", "coalesce(ship_to_address1, '')", "'|'",
        "coalesce(ship_to_address2, '')", "'|'", "coalesce(ship_to_city, '')", "'|'",
        "coalesce(ship_to_postcode, '')", "'|'", "coalesce(ship_to_country_code, '')"
    ])) }} as address_fingerprint
from {{ ref('stg_shopify__orders') }}
where financial_status = 'PAID'
    and cancelled_at is null
    and fulfillment_status = 'UNFULFILLED'
