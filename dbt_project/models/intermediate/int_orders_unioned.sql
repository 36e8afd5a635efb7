{#- Every channel's orders in one shape: the order attributes the lifecycle needs.
    Each channel keeps its own status values (financial_status, fulfillment_status) for
    reconciliation; canonical statuses come from events in fct_orders. -#}
with shopify as (
    select
        order_id,
        order_name,
        channel,
        placed_at,
        updated_at,
        cancelled_at,
        cancel_reason,
        financial_status,
        fulfillment_status
    from {{ ref('stg_shopify__orders') }}
),

woocommerce as (
    select
        order_id,
        order_name,
        channel,
        placed_at,
        updated_at,
        -- WooCommerce records no cancellation time; the last change is when it happened.
        case when woocommerce_status = 'cancelled' then updated_at end as cancelled_at,
        cast(null as {{ dbt.type_string() }}) as cancel_reason,
        woocommerce_status as financial_status,
        woocommerce_status as fulfillment_status
    from {{ ref('stg_woocommerce__orders') }}
)

select * from shopify
union all
select * from woocommerce
