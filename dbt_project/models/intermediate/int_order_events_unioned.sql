{#- The canonical lifecycle events of every order, one shape for every source.
    actor says who caused the event (customer, system, human, carrier) so manual
    touches can be counted; rule_version ties an automated event to the rules behind it. -#}
with orders as (
    select * from {{ ref('int_orders_unioned') }}
),

woocommerce_orders as (
    select * from {{ ref('stg_woocommerce__orders') }}
),

woocommerce_refunds as (
    select * from {{ ref('stg_woocommerce__order_refunds') }}
),

transactions as (
    select * from {{ ref('stg_shopify__transactions') }}
),

fulfillments as (
    select * from {{ ref('stg_shopify__fulfillments') }}
),

bookings as (
    select * from {{ ref('stg_actions__label_bookings') }}
),

placed as (
    select
        order_id, 'placed' as event_type, placed_at as occurred_at, channel as source,
        'customer' as actor, cast(null as {{ dbt.type_string() }}) as reason,
        cast(null as {{ dbt.type_string() }}) as rule_version, order_id as source_record_id
    from orders
),

payments as (
    select
        order_id,
        case
            when status = 'SUCCESS' and kind = 'AUTHORIZATION' then 'payment_authorised'
            when status = 'SUCCESS' and kind in ('CAPTURE', 'SALE') then 'paid'
            when status = 'SUCCESS' and kind = 'VOID' then 'payment_voided'
            when status = 'SUCCESS' and kind = 'REFUND' then 'refunded'
            when status in ('FAILURE', 'ERROR') then 'payment_failed'
        end as event_type,
        processed_at as occurred_at,
        'shopify' as source,
        'system' as actor,
        case when status in ('FAILURE', 'ERROR') then lower(kind) || ' ' || lower(status) end as reason,
        cast(null as {{ dbt.type_string() }}) as rule_version,
        transaction_id as source_record_id
    from transactions
    where status in ('SUCCESS', 'FAILURE', 'ERROR')
),

cancellations as (
    select
        order_id, 'cancelled' as event_type, cancelled_at as occurred_at, channel as source,
        case
            when cancel_reason = 'CUSTOMER' then 'customer'
            when cancel_reason = 'DECLINED' then 'system'
            else 'human'
        end as actor,
        lower(coalesce(cancel_reason, 'unknown')) as reason,
        cast(null as {{ dbt.type_string() }}) as rule_version,
        order_id as source_record_id
    from orders
    where cancelled_at is not null
),

label_events as (
    select
        order_id,
        case when booking_status = 'booked' then 'label_booked' else 'label_booking_failed' end as event_type,
        completed_at as occurred_at,
        'click_and_drop' as source,
        'system' as actor,
        failure_reason as reason,
        rule_version,
        idempotency_key as source_record_id
    from bookings
    where booking_status in ('booked', 'failed')
),

despatches as (
    -- A despatch whose tracking number orderloop booked is the automated flow; any
    -- other despatch was booked and handed over by a person.
    select
        fulfillments.order_id,
        'despatched' as event_type,
        fulfillments.fulfilled_at as occurred_at,
        'shopify' as source,
        case when bookings.tracking_number is not null then 'system' else 'human' end as actor,
        cast(null as {{ dbt.type_string() }}) as reason,
        bookings.rule_version,
        fulfillments.fulfillment_id as source_record_id
    from fulfillments
    left join bookings
        on bookings.order_id = fulfillments.order_id
        and bookings.tracking_number = fulfillments.tracking_number
        and bookings.booking_status = 'booked'
),

woocommerce_milestones as (
    -- WooCommerce reports payment and completion as order dates; completion is when the
    -- merchant marked the parcel sent, by hand.
    select
        order_id, 'paid' as event_type, paid_at as occurred_at, 'woocommerce' as source, 'system' as actor,
        cast(null as {{ dbt.type_string() }}) as reason, cast(null as {{ dbt.type_string() }}) as rule_version,
        order_id as source_record_id
    from woocommerce_orders
    where paid_at is not null
    union all
    select
        order_id, 'despatched', completed_at, 'woocommerce', 'human',
        cast(null as {{ dbt.type_string() }}), cast(null as {{ dbt.type_string() }}), order_id
    from woocommerce_orders
    where completed_at is not null
    union all
    select
        order_id, 'refunded', refunded_at, 'woocommerce', 'human',
        reason, cast(null as {{ dbt.type_string() }}), refund_id
    from woocommerce_refunds
    where order_id in (select order_id from woocommerce_orders)
),

unioned as (
    select * from placed
    union all select * from woocommerce_milestones
    union all select * from payments
    union all select * from cancellations
    union all select * from label_events
    union all select * from despatches
)

select
    {{ dbt.hash(dbt.concat(["source", "'|'", "event_type", "'|'", "source_record_id"])) }} as event_id,
    order_id,
    event_type,
    occurred_at,
    source,
    actor,
    reason,
    rule_version
from unioned
where occurred_at is not null
