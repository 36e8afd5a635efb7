{#- What each warehouse holds now and is free to promise: its latest count per SKU and
    location, less the units of orders that left the shelf since (despatched after the
    count) or are packed and waiting for collection (packed orders no longer reserve stock,
    so the units come off here instead). An order split across warehouses is taken off at
    each warehouse that reports it, since the feeds do not say which lines went where. -#}
{{ config(tags=['python_input']) }}

with counts as (
    select
        warehouse_id,
        sku,
        location,
        on_hand,
        counted_at,
        row_number() over (
            partition by warehouse_id, sku, location order by counted_at desc
        ) as recency
    from {{ ref('stg_warehouse_feeds__stock_counts') }}
),

latest as (
    select warehouse_id, sku, sum(on_hand) as counted_on_hand, min(counted_at) as counted_at
    from counts
    where recency = 1
    group by warehouse_id, sku
),

handled as (
    select
        warehouse_id,
        order_reference,
        min(case when event_type = 'despatched' then occurred_at end) as despatched_at,
        min(case when event_type = 'packed' then occurred_at end) as packed_at
    from {{ ref('stg_warehouse_feeds__fulfilment_events') }}
    where event_type in ('packed', 'despatched')
    group by warehouse_id, order_reference
),

off_the_shelf as (
    select latest.warehouse_id, lines.sku, sum(lines.quantity) as units
    from handled
    inner join {{ ref('int_orders_unioned') }} as orders on orders.order_name = handled.order_reference
    inner join {{ ref('int_order_lines_unioned') }} as lines on lines.order_id = orders.order_id
    inner join latest
        on latest.warehouse_id = handled.warehouse_id
        and latest.sku = lines.sku
    where handled.despatched_at > latest.counted_at
        or (handled.despatched_at is null and handled.packed_at is not null)
    group by latest.warehouse_id, lines.sku
)

select
    latest.warehouse_id,
    latest.sku,
    latest.counted_at,
    cast(latest.counted_on_hand as {{ dbt.type_bigint() }}) as counted_on_hand,
    cast(coalesce(off_the_shelf.units, 0) as {{ dbt.type_bigint() }}) as units_left_since_count,
    cast(case
        when latest.counted_on_hand - coalesce(off_the_shelf.units, 0) > 0
            then latest.counted_on_hand - coalesce(off_the_shelf.units, 0)
        else 0
    end as {{ dbt.type_bigint() }}) as on_hand
from latest
left join off_the_shelf
    on off_the_shelf.warehouse_id = latest.warehouse_id
    and off_the_shelf.sku = latest.sku
