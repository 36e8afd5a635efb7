{#- "Now" for stock decisions (safety stock, channel allocation): the newest order update
    or stock count, the same moment routing plans at. Unlike int_data_as_of it does not
    read orderloop's own action events, so the stock sync queue built before the actions
    never depends on an action ledger. One row. -#}
with latest as (
    select max(updated_at) as seen_at from {{ ref('int_orders_unioned') }}
    union all
    select max(counted_at) from {{ ref('int_stock_on_hand') }}
)

select max(seen_at) as as_of_at from latest
