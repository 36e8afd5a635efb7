{#- Every stock quantity orderloop pushed (or tried to push) to a channel, so the published
    copy can say when each channel last received stock without anyone reading the live
    ledger. One row per ledger row. -#}
select
    idempotency_key as stock_push_id,
    channel,
    sku,
    location,
    from_quantity,
    to_quantity,
    push_status,
    attempted_at,
    completed_at,
    outcome
from {{ ref('stg_actions__stock_pushes') }}
