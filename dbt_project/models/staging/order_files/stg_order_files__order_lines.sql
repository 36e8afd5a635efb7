with lines as (
    {{ source_or_empty('order_files', 'order_lines', {
        'channel': dbt.type_string(), 'order_id': dbt.type_string(), 'line_key': dbt.type_string(),
        'placed_at': type_loaded_timestamp(), 'status': dbt.type_string(), 'source_status': dbt.type_string(),
        'sku': dbt.type_string(), 'quantity': dbt.type_bigint(), 'unit_price': 'decimal(18, 2)',
        'total_amount': 'decimal(18, 2)', 'currency': dbt.type_string(), 'ship_to_postcode': dbt.type_string(),
        'ship_to_country_code': dbt.type_string()
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
    ship_to_postcode,
    ship_to_country_code
from lines
