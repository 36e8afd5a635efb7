{#- The stock each channel should show, per SKU and (for Shopify) per location, for the
    stock sync action: each warehouse's available-to-sell times the channel's share,
    rounded down. Shopify keeps stock per location (one per warehouse); WooCommerce keeps
    one quantity per product, the sum over warehouses. The action pushes a row only when it
    differs from what it last pushed, so this can list everything every time. -#}
with positions as (
    select warehouse_id, sku, available_to_sell from {{ ref('fct_stock_positions') }}
),

allocations as (
    -- The channel_allocation rule version in force now (data time), as stock_to_publish.
    select allocations.channel, allocations.share_pct
    from {{ ref('stg_rules__channel_allocations') }} as allocations
    cross join {{ ref('int_stock_as_of') }} as as_of
    where allocations.effective_from <= as_of.as_of_at
        and (allocations.effective_to is null or as_of.as_of_at < allocations.effective_to)
),

per_warehouse as (
    select
        allocations.channel,
        positions.sku,
        positions.warehouse_id,
        cast(floor(positions.available_to_sell * allocations.share_pct / 100.0) as {{ dbt.type_bigint() }})
            as quantity
    from positions
    cross join allocations
)

select channel, sku, warehouse_id as location, quantity
from per_warehouse
where channel = 'shopify'
union all
select channel, sku, cast(null as {{ dbt.type_string() }}) as location, sum(quantity) as quantity
from per_warehouse
where channel = 'woocommerce'
group by channel, sku
