{#- Every status-like value each source has sent, with how often and when: the input for
    spotting values the canonical vocabulary does not know yet. -#}
with observed as (
    select
        'shopify' as source, 'transaction' as source_field, kind || ':' || status as source_value,
        processed_at as seen_at
    from {{ ref('stg_shopify__transactions') }}
    union all
    select 'shopify', 'financial_status', financial_status, updated_at from {{ ref('stg_shopify__orders') }}
    union all
    select 'shopify', 'fulfillment_status', fulfillment_status, updated_at from {{ ref('stg_shopify__orders') }}
    union all
    select 'woocommerce', 'status', woocommerce_status, updated_at from {{ ref('stg_woocommerce__orders') }}
    union all
    select 'stripe', 'event_type', event_type, occurred_at from {{ ref('stg_stripe__payment_events') }}
    union all
    select 'warehouse_feeds', 'event', event_type, occurred_at
    from {{ ref('stg_warehouse_feeds__fulfilment_events') }}
    union all
    select 'easypost', 'tracking_status', tracking_status, occurred_at
    from {{ ref('stg_easypost__tracker_events') }}
    union all
    select 'zendesk', 'contact_reason', contact_reason, created_at from {{ ref('stg_zendesk__tickets') }}
)

select
    source,
    source_field,
    source_value,
    count(*) as records,
    min(seen_at) as first_seen_at,
    max(seen_at) as last_seen_at
from observed
where source_value is not null
group by source, source_field, source_value
