with source as (
    select * from {{ source('shopify', 'orders') }}
),

renamed as (
    select
        id as order_id,
        name as order_name,
        'shopify' as channel,
        {{ as_utc('created_at') }} as placed_at,
        {{ as_utc('updated_at') }} as updated_at,
        {{ as_utc('cancelled_at') }} as cancelled_at,
        cancel_reason,
        display_financial_status as financial_status,
        display_fulfillment_status as fulfillment_status,
        email,
        coalesce(shipping_address__phone, phone) as phone,
        currency_code,
        cast(total_price_set__shop_money__amount as decimal(18, 2)) as total_amount,
        cast(subtotal_price_set__shop_money__amount as decimal(18, 2)) as subtotal_amount,
        cast(coalesce(total_shipping_price_set__shop_money__amount, 0) as decimal(18, 2)) as shipping_amount,
        shipping_address__name as ship_to_name,
        shipping_address__address1 as ship_to_address1,
        shipping_address__address2 as ship_to_address2,
        shipping_address__city as ship_to_city,
        shipping_address__zip as ship_to_postcode,
        shipping_address__country_code_v2 as ship_to_country_code,
        _dlt_id as dlt_id,
        -- The dlt load that wrote this version of the order: key tests check the newest loads.
        _dlt_load_id
    from source
)

select * from renamed
