{#- Holds and exceptions per order, each opened when its condition appeared and resolved
    when it cleared: a corrected address passes its next check, a failed payment is
    followed by a payment, a rejected booking by a booking, a failed delivery by a
    delivery, a backordered order by stock; cancelling the order resolves whatever is open.
    One exception per order and reason (the first occurrence). -#}
with orders as (
    select
        orders.order_id,
        orders.placed_at,
        milestones.cancelled_at,
        milestones.despatched_at,
        -- Packed and waiting for the collection is on track for the deadline.
        coalesce(milestones.packed_at, milestones.despatched_at) as ready_at,
        coalesce(milestones.authorised_at, milestones.paid_at) as payment_secured_at,
        due.sla_started_at,
        due.despatch_due_at
    from {{ ref('int_orders_unioned') }} as orders
    inner join {{ ref('int_orders_milestoned') }} as milestones on milestones.order_id = orders.order_id
    left join {{ ref('int_orders_despatch_due') }} as due on due.order_id = orders.order_id
),

events as (
    select * from {{ ref('int_order_events_unioned') }}
),

as_of as (
    select as_of_at from {{ ref('int_data_as_of') }}
),

checks as (
    -- A contact problem exists from placement when the first version we saw had it,
    -- otherwise from the change that introduced it.
    select
        checks.*,
        case
            when row_number() over (partition by checks.order_id order by checks.order_updated_at) = 1
                then orders.placed_at
            else checks.order_updated_at
        end as effective_at
    from {{ ref('stg_validation__order_contact_checks') }} as checks
    inner join orders on orders.order_id = checks.order_id
),

contact_problems as (
    select order_id, 'address_invalid' as reason, effective_at as opened_at, address_reason as detail
    from checks where not is_address_valid
    union all
    select order_id, 'phone_invalid', effective_at, phone_reason
    from checks where not is_phone_valid
),

contact_opened as (
    select * from (
        select
            contact_problems.*,
            row_number() over (partition by order_id, reason order by opened_at) as occurrence
        from contact_problems
    ) as numbered
    where occurrence = 1
),

contact_exceptions as (
    select
        opened.order_id,
        opened.reason,
        opened.opened_at,
        min(case
            when opened.reason = 'address_invalid' and later.is_address_valid then later.effective_at
            when opened.reason = 'phone_invalid' and later.is_phone_valid then later.effective_at
        end) as cleared_at,
        opened.detail
    from contact_opened as opened
    left join checks as later
        on later.order_id = opened.order_id
        and later.effective_at > opened.opened_at
    group by opened.order_id, opened.reason, opened.opened_at, opened.detail
),

event_rules as (
    -- Which event opens an exception and which events clear it.
    select 'payment_failed' as reason, 'payment_failed' as opening_event, 'payment_authorised' as clearing_event
    union all select 'payment_failed', 'payment_failed', 'paid'
    union all select 'payment_review', 'payment_review', 'payment_review_closed'
    union all select 'carrier_booking_failed', 'label_booking_failed', 'label_booked'
    union all select 'carrier_booking_failed', 'label_booking_failed', 'despatched'
    union all select 'delivery_failed', 'delivery_failed', 'delivered'
    union all select 'delivery_failed', 'delivery_failed', 'returned_to_sender'
),

first_openings as (
    select order_id, reason, opened_at, detail from (
        select
            events.order_id,
            rules.reason,
            events.occurred_at as opened_at,
            events.reason as detail,
            row_number() over (partition by events.order_id, rules.reason order by events.occurred_at) as occurrence
        from events
        inner join (select distinct reason, opening_event from event_rules) as rules
            on rules.opening_event = events.event_type
    ) as numbered
    where occurrence = 1
),

event_exceptions as (
    select
        openings.order_id,
        openings.reason,
        openings.opened_at,
        min(clearing.occurred_at) as cleared_at,
        openings.detail
    from first_openings as openings
    left join event_rules as rules on rules.reason = openings.reason
    left join events as clearing
        on clearing.order_id = openings.order_id
        and clearing.event_type = rules.clearing_event
        and clearing.occurred_at >= openings.opened_at
    group by openings.order_id, openings.reason, openings.opened_at, openings.detail
),

at_risk as (
    -- At risk from `despatch_at_risk_hours` before the deadline until packed or despatched:
    -- the despatch_risk version in force when the SLA clock started (rules/despatch_risk.yaml),
    -- as the deadline takes that moment's cut-offs. The detail names the version.
    select
        orders.order_id,
        'despatch_at_risk' as reason,
        {{ dbt.dateadd('hour', '-1 * risk.despatch_at_risk_hours', 'orders.despatch_due_at') }} as opened_at,
        orders.ready_at as cleared_at,
        {{ dbt.concat([
            "cast(risk.despatch_at_risk_hours as " ~ dbt.type_string() ~ ")",
            "' hours before the deadline ('", "risk.despatch_risk_rule_version", "')'"
        ]) }} as detail
    from orders
    inner join {{ ref('stg_rules__despatch_risk') }} as risk
        on risk.effective_from <= orders.sla_started_at
        and (risk.effective_to is null or orders.sla_started_at < risk.effective_to)
    -- Only orders the warehouse should be working on: paid or authorised.
    where orders.despatch_due_at is not null and orders.payment_secured_at is not null
),

at_risk_exceptions as (
    select at_risk.*
    from at_risk
    inner join orders on orders.order_id = at_risk.order_id
    cross join as_of
    where at_risk.opened_at <= as_of.as_of_at
        and (at_risk.cleared_at is null or at_risk.cleared_at > at_risk.opened_at)
        and (orders.cancelled_at is null or orders.cancelled_at > at_risk.opened_at)
),

stock_exceptions as (
    select
        order_id,
        'stock_shortage' as reason,
        first_backordered_at as opened_at,
        cleared_at,
        detail
    from {{ ref('stg_routing__stock_shortages') }}
),

unioned as (
    select * from contact_exceptions
    union all select * from stock_exceptions
    union all select * from event_exceptions
    union all select * from at_risk_exceptions
)

select
    {{ dbt.hash(dbt.concat(["unioned.order_id", "'|'", "unioned.reason"])) }} as exception_id,
    unioned.order_id,
    unioned.reason,
    unioned.detail,
    unioned.opened_at,
    case
        when cancelled_first then orders.cancelled_at
        when shipped_first then orders.despatched_at
        else unioned.cleared_at
    end as resolved_at,
    case
        when cancelled_first then 'order_cancelled'
        when shipped_first then 'order_shipped'
        when unioned.cleared_at is not null then 'condition_cleared'
    end as resolution
from (
    -- Cancelling resolves what is open at that moment, unless the condition cleared first.
    select
        unioned.*,
        orders.cancelled_at is not null
            and orders.cancelled_at >= unioned.opened_at
            and (unioned.cleared_at is null or orders.cancelled_at < unioned.cleared_at) as cancelled_first,
        -- A contact problem on an order that left anyway (shipped by hand) has nothing left to act on.
        unioned.reason in ('address_invalid', 'phone_invalid')
            and orders.despatched_at >= unioned.opened_at
            and (unioned.cleared_at is null or orders.despatched_at < unioned.cleared_at) as shipped_first
    from unioned
    inner join orders on orders.order_id = unioned.order_id
) as unioned
inner join orders on orders.order_id = unioned.order_id
