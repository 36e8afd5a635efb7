select
    cast(id as {{ dbt.type_string() }}) as order_id,
    cast(number as {{ dbt.type_string() }}) as order_name,
    'woocommerce' as channel,
    status as woocommerce_status,
    {{ as_utc('date_created_gmt') }} as placed_at,
    {{ as_utc('date_modified_gmt') }} as updated_at,
    {{ as_utc('date_paid_gmt') }} as paid_at,
    {{ as_utc('date_completed_gmt') }} as completed_at,
    currency as currency_code,
    cast(total as decimal(18, 2)) as total_amount,
    cast(shipping_total as decimal(18, 2)) as shipping_amount,
    payment_method,
    transaction_id as payment_reference,
    billing__email as email,
    coalesce(nullif(shipping__phone, ''), nullif(billing__phone, '')) as phone,
    nullif(trim(coalesce(shipping__first_name, '') || ' ' || coalesce(shipping__last_name, '')), '') as ship_to_name,
    nullif(shipping__address_1, '') as ship_to_address1,
    nullif(shipping__address_2, '') as ship_to_address2,
    nullif(shipping__city, '') as ship_to_city,
    shipping__postcode as ship_to_postcode,
    shipping__country as ship_to_country_code,
    -- The dlt load that wrote this version of the order: key tests check the newest loads.
    _dlt_load_id
from {{ source('woocommerce', 'orders') }}
-- Orders that broke the API's contract are kept aside in stg_woocommerce__quarantined_orders.
where date_created_gmt is not null
    and total is not null
