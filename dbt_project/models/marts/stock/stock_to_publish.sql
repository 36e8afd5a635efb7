{#- What each channel may show as in stock, per SKU: each warehouse's available-to-sell
    times the channel's share (seeds/channel_stock_allocations.csv), rounded down per
    warehouse (Shopify keeps stock per location), summed over warehouses: exactly what the
    stock sync action publishes (stock_sync_queue). Rounding down means the channels
    together never promise more than there is. -#}
with positions as (
    select warehouse_id, sku, available_to_sell from {{ ref('fct_stock_positions') }}
),

per_warehouse as (
    select
        positions.sku,
        allocations.channel,
        allocations.share_pct,
        positions.available_to_sell,
        floor(positions.available_to_sell * allocations.share_pct / 100.0) as quantity
    from positions
    cross join {{ ref('channel_stock_allocations') }} as allocations
)

select
    {{ dbt.hash(dbt.concat(["sku", "'|'", "channel"])) }} as publication_id,
    sku,
    channel,
    cast(sum(available_to_sell) as {{ dbt.type_bigint() }}) as available_to_sell,
    cast(max(share_pct) as {{ dbt.type_int() }}) as share_pct,
    cast(sum(quantity) as {{ dbt.type_bigint() }}) as quantity_to_publish
from per_warehouse
group by sku, channel
