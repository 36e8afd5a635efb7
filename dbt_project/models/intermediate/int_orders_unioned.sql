{#- Every channel's orders in one shape: the order attributes the lifecycle needs.
    API channels keep their own status values (financial_status, fulfillment_status) for
    reconciliation; their canonical status comes from events in fct_orders. Order files
    (marketplace and merchant exports) have no event history, only the canonical status
    their mapping gave the row, kept as reported_status. customer_key stands for the customer
    without naming them (docs/personal-data.md). -#}
with shopify as (
    select
        order_id,
        order_name,
        channel,
        {{ customer_key('email') }} as customer_key,
        placed_at,
        updated_at,
        cancelled_at,
        cancel_reason,
        financial_status,
        fulfillment_status,
        cast(null as {{ dbt.type_string() }}) as reported_status
    from {{ ref('stg_shopify__orders') }}
),

woocommerce as (
    select
        order_id,
        order_name,
        channel,
        {{ customer_key('email') }} as customer_key,
        placed_at,
        updated_at,
        -- WooCommerce records no cancellation time; the last change is when it happened.
        case when woocommerce_status = 'cancelled' then updated_at end as cancelled_at,
        cast(null as {{ dbt.type_string() }}) as cancel_reason,
        woocommerce_status as financial_status,
        woocommerce_status as fulfillment_status,
        cast(null as {{ dbt.type_string() }}) as reported_status
    from {{ ref('stg_woocommerce__orders') }}
),

order_file_orders as (
    -- One file row per order line; an order's lines share its placement and status.
    -- File order ids are only unique within their channel, so the channel prefixes them.
    select
        {{ dbt.concat(["channel", "':'", "order_id"]) }} as order_id,
        order_id as order_name,
        channel,
        {{ customer_key('max(email)') }} as customer_key,
        min(placed_at) as placed_at,
        min(placed_at) as updated_at,
        -- A file says that an order is cancelled, not when: the status carries it.
        cast(null as {{ dbt.type_timestamp() }}) as cancelled_at,
        cast(null as {{ dbt.type_string() }}) as cancel_reason,
        max(source_status) as financial_status,
        max(source_status) as fulfillment_status,
        max(status) as reported_status
    from {{ ref('stg_order_files__order_lines') }}
    group by channel, order_id
)

select * from shopify
union all
select * from woocommerce
union all
select * from order_file_orders
