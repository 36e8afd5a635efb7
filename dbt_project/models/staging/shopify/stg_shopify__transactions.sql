with transactions as (
    {{ source_or_empty('shopify', 'orders__transactions', {
        'id': dbt.type_string(), '_dlt_parent_id': dbt.type_string(), 'kind': dbt.type_string(),
        'status': dbt.type_string(), 'processed_at': type_loaded_timestamp()
    }) }}
),

orders as (
    select id as order_id, _dlt_id, _dlt_load_id from {{ source('shopify', 'orders') }}
)

select
    transactions.id as transaction_id,
    orders.order_id,
    -- Written with its order (a dlt child table): the order's load, for the key tests.
    orders._dlt_load_id,
    transactions.kind,
    transactions.status,
    {{ as_utc('transactions.processed_at') }} as processed_at
from transactions
inner join orders on transactions._dlt_parent_id = orders._dlt_id
