{#- The delivery contact of every channel order, as the address validation reads it.
    contact_fingerprint changes when any of these fields changes, so a corrected address
    is validated again and a failed check can resolve. -#}
{{ config(tags=['python_input']) }}

with contacts as (
    select
        order_id, channel, updated_at, phone, ship_to_name, ship_to_address1, ship_to_address2,
        ship_to_city, ship_to_postcode, ship_to_country_code
    from {{ ref('stg_shopify__orders') }}
    union all
    select
        order_id, channel, updated_at, phone, ship_to_name, ship_to_address1, ship_to_address2,
        ship_to_city, ship_to_postcode, ship_to_country_code
    from {{ ref('stg_woocommerce__orders') }}
    union all
    -- Order files repeat the contact on every line of an order and carry no phone; the
    -- order id is prefixed with its channel, as in int_orders_unioned.
    select
        {{ dbt.concat(["channel", "':'", "order_id"]) }} as order_id,
        channel,
        max(placed_at) as updated_at,
        cast(null as {{ dbt.type_string() }}) as phone,
        max(ship_to_name) as ship_to_name,
        max(ship_to_address1) as ship_to_address1,
        max(ship_to_address2) as ship_to_address2,
        max(ship_to_city) as ship_to_city,
        max(ship_to_postcode) as ship_to_postcode,
        max(ship_to_country_code) as ship_to_country_code
    from {{ ref('stg_order_files__order_lines') }}
    group by channel, order_id
)

select
    contacts.*,
    {{ dbt.hash(dbt.concat([
        "coalesce(phone, '')", "'|'", "coalesce(ship_to_name, '')", "'|'",
        "coalesce(ship_to_address1, '')", "'|'", "coalesce(ship_to_address2, '')", "'|'",
        "coalesce(ship_to_city, '')", "'|'", "coalesce(ship_to_postcode, '')", "'|'",
        "coalesce(ship_to_country_code, '')"
    ])) }} as contact_fingerprint
from contacts
