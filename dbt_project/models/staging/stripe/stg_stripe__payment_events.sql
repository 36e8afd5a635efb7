{#- Stripe payment events, linked to channel orders by the metadata the checkout set. -#}
select
    id as event_id,
    type as event_type,
    {{ from_unix_seconds('created') }} as occurred_at,
    case
        when data__object__object = 'payment_intent' then data__object__id
        else data__object__payment_intent
    end as payment_intent_id,
    data__object__status as object_status,
    cast(data__object__amount as {{ dbt.type_bigint() }}) as amount_minor_units,
    cast(data__object__amount_refunded as {{ dbt.type_bigint() }}) as amount_refunded_minor_units,
    upper(data__object__currency) as currency_code,
    data__object__metadata__order_id as order_id,
    data__object__metadata__order_reference as order_reference,
    data__object__last_payment_error__code as failure_code,
    data__object__last_payment_error__message as failure_message
from {{ source('stripe', 'events') }}
