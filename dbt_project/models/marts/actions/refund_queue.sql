{#- Cancelled orders whose card payment was captured and not refunded: the refund the
    cancellation owes the customer, for the refund action (Stripe refunds with an
    Idempotency-Key). Amounts are in the currency's minor units, as Stripe counts them. -#}
with payments as (
    select
        order_reference,
        payment_intent_id,
        max(case when event_type = 'payment_intent.succeeded' then amount_minor_units end) as captured,
        max(amount_refunded_minor_units) as refunded,
        max(currency_code) as currency_code
    from {{ ref('stg_stripe__payment_events') }}
    where payment_intent_id is not null
    group by order_reference, payment_intent_id
),

cancelled as (
    select order_id, order_name, channel, cancelled_at
    from {{ ref('int_orders_unioned') }}
    where cancelled_at is not null or reported_status = 'cancelled'
)

select
    cancelled.order_id,
    cancelled.order_name,
    cancelled.channel,
    cancelled.cancelled_at,
    payments.payment_intent_id,
    payments.currency_code,
    cast(payments.captured - coalesce(payments.refunded, 0) as {{ dbt.type_bigint() }}) as amount_minor_units
from cancelled
inner join payments on payments.order_reference = cancelled.order_name
where payments.captured > coalesce(payments.refunded, 0)
