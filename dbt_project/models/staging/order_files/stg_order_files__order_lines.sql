with lines as (
    {{ source_or_empty('order_files', 'order_lines', {
        'channel': dbt.type_string(), 'order_id': dbt.type_string(), 'line_key': dbt.type_string(),
        'placed_at': type_loaded_timestamp(), 'status': dbt.type_string(), 'source_status': dbt.type_string(),
        'sku': dbt.type_string(), 'quantity': dbt.type_bigint(), 'unit_price': 'decimal(18, 2)',
        'total_amount': 'decimal(18, 2)', 'currency': dbt.type_string(), 'email': dbt.type_string(),
        'ship_to_name': dbt.type_string(), 'ship_to_address1': dbt.type_string(),
        'ship_to_address2': dbt.type_string(), 'ship_to_city': dbt.type_string(),
        'ship_to_postcode': dbt.type_string(), 'ship_to_country_code': dbt.type_string()
    }) }}
)

select
    channel,
    order_id,
    line_key,
    {{ as_utc('placed_at') }} as placed_at,
    status,
    source_status,
    sku,
    quantity,
    cast(unit_price as decimal(18, 2)) as unit_price,
    cast(total_amount as decimal(18, 2)) as total_amount,
    currency as currency_code,
    -- The delivery contact, repeated on every line of an order; label booking and contact
    -- validation read it per order.
    nullif(trim(email), '') as email,
    nullif(trim(ship_to_name), '') as ship_to_name,
    nullif(trim(ship_to_address1), '') as ship_to_address1,
    nullif(trim(ship_to_address2), '') as ship_to_address2,
    nullif(trim(ship_to_city), '') as ship_to_city,
    ship_to_postcode,
    ship_to_country_code
from lines
