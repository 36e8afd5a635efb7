with transactions as (
    select * from {{ source('shopify', 'orders__transactions') }}
),

orders as (
    select id as order_id, _dlt_id from {{ source('shopify', 'orders') }}
)

select
    transactions.id as transaction_id,
    orders.order_id,
    transactions.kind,
    transactions.status,
    {{ as_utc('transactions.processed_at') }} as processed_at
from transactions
inner join orders on transactions._dlt_parent_id = orders._dlt_id
