{#- The canonical lifecycle events of every order, one shape for every source.
    Source values become canonical event types through seeds/source_status_mappings.csv;
    a value the seed does not know makes no event here and shows up in
    unmapped_source_values instead. actor says who caused the event (customer, system,
    human, carrier) so manual touches can be counted; rule_version ties an automated event
    to the rules behind it. Sources that name orders by reference (payments, warehouses,
    helpdesk) are linked through the channel's order number; carrier events through the
    parcel's tracking number.
    Incremental by order: a build recomputes every event of the orders named by source rows
    loaded since the last build (int_order_source_loads, the dlt load ids up to
    `_loaded_through`) or whose label bookings changed (orderloop's own ledger, compared with
    the events built from it), and replaces those orders' events (delete+insert on order_id).
    `_built_at` marks the rows a build wrote, for int_orders_milestoned. `--full-refresh`
    (the nightly job) rebuilds everything the same way; it is needed after a change to the
    mappings seed or this model, and it drops orders that disappeared from their source. -#}
{{ config(
    materialized='incremental',
    unique_key='order_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns'
) }}

{#- Incremental once the table has its bookkeeping column (macros/incremental_with.sql). -#}
{%- set incremental = incremental_with('_loaded_through') %}
{%- set event_id_sql = dbt.hash(dbt.concat(["source", "'|'", "event_type", "'|'", "source_record_id"])) %}

{%- set source_loads %}(
    select order_id, dlt_load_id from {{ ref('int_order_source_loads') }}
    {%- if incremental %}
    where dlt_load_id is null
        or dlt_load_id > {{ loaded_through_literal(this) }}
    {%- endif %}
){% endset %}
{%- if incremental %}
{%- set touched_sql %}
    select order_id from {{ source_loads }} as source_loads
    union
    -- A booking that was booked or failed since: its event is new (or moved), which may also
    -- change who despatched the order and which parcels are its.
    select booking_events.order_id
    from (
        -- The label events the ledger makes now, to compare with those already built.
        select ledger.*, {{ event_id_sql }} as event_id
        from (
            select
                order_id,
                'click_and_drop' as source,
                case when booking_status = 'booked' then 'label_booked' else 'label_booking_failed' end as event_type,
                booked_at as occurred_at,
                idempotency_key as source_record_id
            from {{ ref('stg_actions__label_bookings') }}
            where booking_status in ('booked', 'failed') and booked_at is not null
        ) as ledger
    ) as booking_events
    where not exists (
        select 1 from {{ this }} as built
        where built.order_id = booking_events.order_id
            and built.event_id = booking_events.event_id
            and built.occurred_at = booking_events.occurred_at
    )
{%- endset %}
{#- The orders to recompute, in a temporary table the branches join to (macros/touched_table.sql). -#}
{%- set touched = touched_table(touched_sql) %}
{%- endif %}

{#- The orders this build reads, as a subquery written where it is read rather than a CTE:
    DuckDB materializes a CTE read more than once, which at 10M orders copied every order into
    memory first (int_orders_milestoned measured 73 s against 50 s under the memory budget). -#}
{%- set orders %}(select * from {{ ref('int_orders_unioned') }}
    {%- if incremental %} where order_id in (select order_id from {{ touched }}){% endif %}){% endset %}

with source_loads as (
    select * from {{ source_loads }} as source_loads
),

mappings as (
    select * from {{ ref('source_status_mappings') }}
    where event_type is not null
),

woocommerce_orders as (
    select * from {{ ref('stg_woocommerce__orders') }}
    {%- if incremental %}
    where order_id in (select order_id from {{ touched }})
    {%- endif %}
),

woocommerce_refunds as (
    select * from {{ ref('stg_woocommerce__order_refunds') }}
    {%- if incremental %}
    where order_id in (select order_id from {{ touched }})
    {%- endif %}
),

bookings as (
    select * from {{ ref('stg_actions__label_bookings') }}
    {%- if incremental %}
    where order_id in (select order_id from {{ touched }})
    {%- endif %}
),

placed as (
    select
        order_id, 'placed' as event_type, placed_at as occurred_at, channel as source,
        'customer' as actor, cast(null as {{ dbt.type_string() }}) as reason,
        cast(null as {{ dbt.type_string() }}) as rule_version, order_id as source_record_id
    from {{ orders }} as orders
),

shopify_payments as (
    select
        transactions.order_id,
        mappings.event_type,
        transactions.processed_at as occurred_at,
        'shopify' as source,
        mappings.actor,
        case when mappings.event_type = 'payment_failed'
            then lower(transactions.kind) || ' ' || lower(transactions.status) end as reason,
        cast(null as {{ dbt.type_string() }}) as rule_version,
        transactions.transaction_id as source_record_id
    from {{ ref('stg_shopify__transactions') }} as transactions
    inner join mappings
        on mappings.source = 'shopify'
        and mappings.source_field = 'transaction'
        and mappings.source_value = transactions.kind || ':' || transactions.status
    {%- if incremental %}
    inner join {{ touched }} as touched on touched.order_id = transactions.order_id
    {%- endif %}
),

stripe_payments as (
    select
        orders.order_id,
        mappings.event_type,
        stripe.occurred_at,
        'stripe' as source,
        mappings.actor,
        coalesce(stripe.failure_code, stripe.failure_message) as reason,
        cast(null as {{ dbt.type_string() }}) as rule_version,
        stripe.event_id as source_record_id
    from {{ ref('stg_stripe__payment_events') }} as stripe
    inner join mappings
        on mappings.source = 'stripe'
        and mappings.source_field = 'event_type'
        and mappings.source_value = stripe.event_type
    inner join {{ orders }} as orders on orders.order_name = coalesce(stripe.order_reference, stripe.order_id)
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
    from {{ orders }} as orders
    where cancelled_at is not null
),

label_events as (
    select
        order_id,
        case when booking_status = 'booked' then 'label_booked' else 'label_booking_failed' end as event_type,
        booked_at as occurred_at,
        'click_and_drop' as source,
        'system' as actor,
        failure_reason as reason,
        rule_version,
        idempotency_key as source_record_id
    from bookings
    where booking_status in ('booked', 'failed')
),

shopify_despatches as (
    -- A despatch whose tracking number orderloop booked is the automated flow; any
    -- other despatch was booked and handed over by a person.
    select
        fulfillments.order_id,
        'despatched' as event_type,
        fulfillments.fulfilled_at as occurred_at,
        'shopify' as source,
        case when booked.tracking_number is not null then 'system' else 'human' end as actor,
        cast(null as {{ dbt.type_string() }}) as reason,
        booked.rule_version,
        fulfillments.fulfillment_id as source_record_id
    from {{ ref('stg_shopify__fulfillments') }} as fulfillments
    left join (
        -- One row per parcel, so each fulfilment stays one event (a parcel booked twice
        -- takes the rule version of its first booking).
        select order_id, tracking_number, rule_version from (
            select
                order_id,
                tracking_number,
                rule_version,
                row_number() over (
                    partition by order_id, tracking_number order by booked_at, idempotency_key
                ) as booking_number
            from bookings
            where booking_status = 'booked'
        ) as numbered
        where booking_number = 1
    ) as booked
        on booked.order_id = fulfillments.order_id
        and booked.tracking_number = fulfillments.tracking_number
    {%- if incremental %}
    where fulfillments.order_id in (select order_id from {{ touched }})
    {%- endif %}
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

warehouse_events as (
    select
        orders.order_id,
        mappings.event_type,
        feed.occurred_at,
        'warehouse_feeds' as source,
        mappings.actor,
        cast(null as {{ dbt.type_string() }}) as reason,
        cast(null as {{ dbt.type_string() }}) as rule_version,
        {{ dbt.concat(["feed.warehouse_id", "'|'", "feed.order_reference", "'|'", "feed.event_type", "'|'",
                       dbt.safe_cast("feed.occurred_at", dbt.type_string())]) }} as source_record_id
    from {{ ref('stg_warehouse_feeds__fulfilment_events') }} as feed
    inner join mappings
        on mappings.source = 'warehouse_feeds'
        and mappings.source_field = 'event'
        and mappings.source_value = feed.event_type
    inner join {{ orders }} as orders on orders.order_name = feed.order_reference
),

returns_received as (
    select
        orders.order_id,
        'returned' as event_type,
        returned.received_at as occurred_at,
        'warehouse_feeds' as source,
        'customer' as actor,
        returned.condition || ': ' || returned.outcome as reason,
        cast(null as {{ dbt.type_string() }}) as rule_version,
        {{ dbt.concat(["returned.warehouse_id", "'|'", "returned.order_reference", "'|'", "returned.sku", "'|'",
                       dbt.safe_cast("returned.received_at", dbt.type_string())]) }} as source_record_id
    from {{ ref('stg_warehouse_feeds__returns') }} as returned
    inner join {{ orders }} as orders on orders.order_name = returned.order_reference
),

carrier_events as (
    select
        parcels.order_id,
        mappings.event_type,
        tracking.occurred_at,
        'easypost' as source,
        mappings.actor,
        tracking.status_detail as reason,
        cast(null as {{ dbt.type_string() }}) as rule_version,
        tracking.event_id as source_record_id
    from {{ ref('stg_easypost__tracker_events') }} as tracking
    inner join mappings
        on mappings.source = 'easypost'
        and mappings.source_field = 'tracking_status'
        and mappings.source_value = tracking.tracking_status
    inner join {{ ref('int_order_parcels') }} as parcels
        on parcels.tracking_number = tracking.tracking_number
    {%- if incremental %}
    inner join {{ touched }} as touched on touched.order_id = parcels.order_id
    {%- endif %}
),


contacts as (
    select
        orders.order_id,
        mappings.event_type,
        tickets.created_at as occurred_at,
        'zendesk' as source,
        mappings.actor,
        tickets.contact_reason as reason,
        cast(null as {{ dbt.type_string() }}) as rule_version,
        {{ dbt.safe_cast("tickets.ticket_id", dbt.type_string()) }} as source_record_id
    from {{ ref('stg_zendesk__tickets') }} as tickets
    inner join mappings
        on mappings.source = 'zendesk'
        and mappings.source_field = 'contact_reason'
        and mappings.source_value = tickets.contact_reason
    inner join {{ orders }} as orders on orders.order_name = tickets.order_reference
),

unioned as (
    -- One row per source record by construction: each branch reads rows whose key staging
    -- tests unique (orders, transactions, fulfilments, Stripe events, refunds, bookings,
    -- tracker events, tickets) and joins them to at most one order, parcel or mapping (order
    -- numbers, tracking numbers and mappings are unique too), so these need no deduplication.
    select * from placed
    union all select * from shopify_payments
    union all select * from shopify_despatches
    union all select * from stripe_payments
    union all select * from woocommerce_milestones
    union all select * from cancellations
    union all select * from label_events
    union all select * from carrier_events
    union all select * from contacts
),

repeatable as (
    -- Rows that can arrive twice: a warehouse feed line resent in a later file.
    select * from warehouse_events
    union all select * from returns_received
),

identified as (
    select
        {{ event_id_sql }} as event_id,
        unioned.*
    from unioned
    where occurred_at is not null
    {%- if incremental %}
        and order_id in (select order_id from {{ touched }})
    {%- endif %}
),

repeatable_identified as (
    select
        {{ event_id_sql }} as event_id,
        repeatable.*
    from repeatable
    where occurred_at is not null
    {%- if incremental %}
        and order_id in (select order_id from {{ touched }})
    {%- endif %}
),

deduplicated as (
    -- Deduplicating only the branches that can repeat: grouping every event by its hashed id
    -- was the largest cost of the model (5.9M rows at 1M orders). The uniqueness test on
    -- event_id still checks the whole table.
    select identified.*, 1 as copy_number from identified
    union all
    select
        repeatable_identified.*,
        row_number() over (partition by event_id order by occurred_at) as copy_number
    from repeatable_identified
)

select
    event_id,
    order_id,
    event_type,
    occurred_at,
    source,
    actor,
    reason,
    rule_version,
    (select {% if incremental %}coalesce(max(dlt_load_id), (select max(_loaded_through) from {{ this }}))
        {%- else %}max(dlt_load_id){% endif %} from source_loads) as _loaded_through,
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }}) as _built_at
from deduplicated
where copy_number = 1
