{#- What each channel may show as in stock, per SKU: each warehouse's available-to-sell
    times the channel's share (the channel_allocation rule version in force at the data's
    as-of time, rules/channel_allocation.yaml), rounded down per
    warehouse (Shopify keeps stock per location), summed over warehouses: exactly what the
    stock sync action publishes (stock_sync_queue). Rounding down means the channels
    together never promise more than there is. -#}
with positions as (
    select warehouse_id, sku, available_to_sell from {{ ref('fct_stock_positions') }}
),

allocations as (
    select allocations.*
    from {{ ref('stg_rules__channel_allocations') }} as allocations
    cross join {{ ref('int_stock_as_of') }} as as_of
    where allocations.effective_from <= as_of.as_of_at
        and (allocations.effective_to is null or as_of.as_of_at < allocations.effective_to)
),

per_warehouse as (
    select
        positions.sku,
        allocations.channel,
        allocations.share_pct,
        allocations.allocation_rule_version,
        positions.available_to_sell,
        floor(positions.available_to_sell * allocations.share_pct / 100.0) as quantity
    from positions
    cross join allocations
)

select
    {{ dbt.hash(dbt.concat(["sku", "'|'", "channel"])) }} as publication_id,
    sku,
    channel,
    cast(sum(available_to_sell) as {{ dbt.type_bigint() }}) as available_to_sell,
    cast(max(share_pct) as {{ dbt.type_int() }}) as share_pct,
    cast(sum(quantity) as {{ dbt.type_bigint() }}) as quantity_to_publish,
    allocation_rule_version
from per_warehouse
group by sku, channel, allocation_rule_version
