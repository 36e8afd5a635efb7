{#- Stock pushes from the action ledger. The ledger table exists once the stock sync has
    run; until then this is an empty relation of the same shape. -#}
with pushes as (
    {{ source_or_empty('actions', 'stock_pushes', {
        'idempotency_key': 'varchar',
        'channel': 'varchar',
        'sku': 'varchar',
        'location': 'varchar',
        'from_quantity': 'bigint',
        'to_quantity': 'bigint',
        'status': 'varchar',
        'attempted_at': 'timestamp',
        'completed_at': 'timestamp',
        'outcome': 'varchar',
    }) }}
)

select
    idempotency_key,
    channel,
    sku,
    location,
    from_quantity,
    to_quantity,
    status as push_status,
    attempted_at,
    completed_at,
    outcome
from pushes
