{#- "Now" for SLA and ageing: the newest change the warehouse has seen (an order update or
    any event, including orderloop's own actions), so a rebuild of old data gives the same
    answer as the run that first built it. One row. -#}
with latest as (
    select max(updated_at) as seen_at from {{ ref('int_orders_unioned') }}
    union all
    select max(occurred_at) from {{ ref('int_order_events_unioned') }}
)

select max(seen_at) as as_of_at from latest
