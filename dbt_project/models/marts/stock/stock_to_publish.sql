{#- What each channel may show as in stock, per SKU: the SKU's available-to-sell over all
    warehouses, times the channel's share (seeds/channel_stock_allocations.csv), rounded
    down so the channels together never promise more than there is. The stock sync action
    publishes this when it changes. -#}
with available as (
    select sku, sum(available_to_sell) as available_to_sell
    from {{ ref('fct_stock_positions') }}
    group by sku
)

select
    {{ dbt.hash(dbt.concat(["available.sku", "'|'", "allocations.channel"])) }} as publication_id,
    available.sku,
    allocations.channel,
    cast(available.available_to_sell as {{ dbt.type_bigint() }}) as available_to_sell,
    cast(allocations.share_pct as {{ dbt.type_int() }}) as share_pct,
    cast(floor(available.available_to_sell * allocations.share_pct / 100.0) as {{ dbt.type_bigint() }})
        as quantity_to_publish
from available
cross join {{ ref('channel_stock_allocations') }} as allocations
