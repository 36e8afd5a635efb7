{#- Stripe payment events, linked to channel orders by the metadata the checkout set. A
    review carries no metadata (as Stripe's do not): it takes the order of the other events
    of its PaymentIntent. Charges carry Radar's outcome (risk score and level). -#}
with events as (
    select
        id as event_id,
        type as event_type,
        {{ from_unix_seconds('created') }} as occurred_at,
        data__object__object as object_type,
        case
            when data__object__object = 'payment_intent' then data__object__id
            else data__object__payment_intent
        end as payment_intent_id,
        case
            when data__object__object = 'charge' then data__object__id
            when data__object__object = 'review' then data__object__charge
        end as charge_id,
        case when data__object__object = 'review' then data__object__id end as review_id,
        data__object__status as object_status,
        cast(data__object__amount as {{ dbt.type_bigint() }}) as amount_minor_units,
        cast(data__object__amount_refunded as {{ dbt.type_bigint() }}) as amount_refunded_minor_units,
        upper(data__object__currency) as currency_code,
        data__object__metadata__order_id as order_id,
        data__object__metadata__order_reference as order_reference,
        data__object__last_payment_error__code as failure_code,
        data__object__last_payment_error__message as failure_message,
        cast(data__object__outcome__risk_score as {{ dbt.type_int() }}) as risk_score,
        data__object__outcome__risk_level as risk_level,
        data__object__outcome__type as outcome_type,
        data__object__closed_reason as review_closed_reason
    from {{ source('stripe', 'events') }}
)

select
    event_id,
    event_type,
    occurred_at,
    object_type,
    payment_intent_id,
    charge_id,
    review_id,
    object_status,
    amount_minor_units,
    amount_refunded_minor_units,
    currency_code,
    coalesce(
        order_id, max(order_id) over (partition by payment_intent_id)
    ) as order_id,
    coalesce(
        order_reference, max(order_reference) over (partition by payment_intent_id)
    ) as order_reference,
    failure_code,
    failure_message,
    risk_score,
    risk_level,
    outcome_type,
    review_closed_reason
from events
