{#- What each warehouse holds now: its latest stock count per SKU, less the units of orders
    it despatched after that count (counts arrive once a day, parcels leave all day). -#}
{{ config(tags=['python_input']) }}

with counts as (
    select * from {{ ref('stg_warehouse_feeds__stock_counts') }}
),

latest_count as (
    select warehouse_id, max(counted_at) as counted_at from counts group by warehouse_id
),

latest as (
    select counts.warehouse_id, counts.sku, sum(counts.on_hand) as counted_on_hand, latest_count.counted_at
    from counts
    inner join latest_count
        on latest_count.warehouse_id = counts.warehouse_id
        and latest_count.counted_at = counts.counted_at
    group by counts.warehouse_id, counts.sku, latest_count.counted_at
),

despatches as (
    select warehouse_id, order_reference, min(occurred_at) as despatched_at
    from {{ ref('stg_warehouse_feeds__fulfilment_events') }}
    where event_type = 'despatched'
    group by warehouse_id, order_reference
),

left_since_count as (
    select latest.warehouse_id, lines.sku, sum(lines.quantity) as units
    from despatches
    inner join latest_count on latest_count.warehouse_id = despatches.warehouse_id
    inner join {{ ref('int_orders_unioned') }} as orders on orders.order_name = despatches.order_reference
    inner join {{ ref('int_order_lines_unioned') }} as lines on lines.order_id = orders.order_id
    inner join latest
        on latest.warehouse_id = despatches.warehouse_id
        and latest.sku = lines.sku
    where despatches.despatched_at > latest_count.counted_at
    group by latest.warehouse_id, lines.sku
)

select
    latest.warehouse_id,
    latest.sku,
    latest.counted_at,
    cast(latest.counted_on_hand as {{ dbt.type_bigint() }}) as counted_on_hand,
    cast(coalesce(left_since_count.units, 0) as {{ dbt.type_bigint() }}) as units_left_since_count,
    cast(case
        when latest.counted_on_hand - coalesce(left_since_count.units, 0) > 0
            then latest.counted_on_hand - coalesce(left_since_count.units, 0)
        else 0
    end as {{ dbt.type_bigint() }}) as on_hand
from latest
left join left_since_count
    on left_since_count.warehouse_id = latest.warehouse_id
    and left_since_count.sku = latest.sku
