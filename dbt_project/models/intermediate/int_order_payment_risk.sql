{#- Each order's payment risk as Stripe reports it: Radar's score and level on the latest
    snapshot of its charge, whether a Radar review of its payment is open (opened, and not
    closed at or after its opening), and whether a person approved a review of it. The label
    queue carries these for the holds rules (rules/holds.yaml). Orders without a Stripe
    payment are absent. -#}
with payment_events as (
    select
        orders.order_id,
        stripe.event_id,
        stripe.event_type,
        stripe.occurred_at,
        stripe.object_type,
        stripe.review_id,
        stripe.risk_score,
        stripe.risk_level,
        stripe.review_closed_reason
    from {{ ref('stg_stripe__payment_events') }} as stripe
    inner join {{ ref('int_orders_unioned') }} as orders
        on orders.order_name = coalesce(stripe.order_reference, stripe.order_id)
),

latest_charge as (
    select order_id, risk_score, risk_level
    from (
        select
            order_id,
            risk_score,
            risk_level,
            row_number() over (partition by order_id order by occurred_at desc, event_id desc) as recency
        from payment_events
        where object_type = 'charge' and risk_score is not null
    ) as ranked
    where recency = 1
),

reviews as (
    -- One row per review: when it opened, when (and why) it last closed.
    select
        order_id,
        review_id,
        min(case when event_type = 'review.opened' then occurred_at end) as opened_at,
        max(case when event_type = 'review.closed' then occurred_at end) as closed_at,
        max(case when event_type = 'review.closed' then review_closed_reason end) as closed_reason
    from payment_events
    where event_type in ('review.opened', 'review.closed')
    group by order_id, review_id
),

review_state as (
    select
        order_id,
        max(case
            when opened_at is not null and (closed_at is null or closed_at < opened_at) then 1 else 0
        end) as has_open_review,
        min(case
            when opened_at is not null and (closed_at is null or closed_at < opened_at) then opened_at
        end) as open_review_since,
        max(case when closed_reason = 'approved' then 1 else 0 end) as has_approved_review
    from reviews
    group by order_id
),

risk_orders as (
    select order_id from latest_charge
    union
    select order_id from review_state
)

select
    risk_orders.order_id,
    latest_charge.risk_score as fraud_risk_score,
    latest_charge.risk_level as fraud_risk_level,
    coalesce(review_state.has_open_review = 1, false) as has_open_payment_review,
    review_state.open_review_since as payment_review_opened_at,
    coalesce(review_state.has_approved_review = 1, false) as is_payment_review_approved
from risk_orders
left join latest_charge on latest_charge.order_id = risk_orders.order_id
left join review_state on review_state.order_id = risk_orders.order_id
