{#- Stripe refunds orderloop requested for cancelled orders (pipelines/actions/refund_ledger.py).
    The ledger table exists once the refund action has run; until then this is an empty
    relation of the same shape. -#}
with refunds as (
    {{ source_or_empty('actions', 'refunds', {
        'idempotency_key': 'varchar',
        'order_id': 'varchar',
        'payment_intent_id': 'varchar',
        'amount_minor_units': 'bigint',
        'status': 'varchar',
        'attempted_at': 'timestamp',
        'completed_at': 'timestamp',
        'refund_id': 'varchar',
        'failure_reason': 'varchar',
    }) }}
)

select
    idempotency_key,
    order_id,
    payment_intent_id,
    amount_minor_units,
    status as refund_status,
    attempted_at,
    completed_at,
    refund_id,
    failure_reason
from refunds
