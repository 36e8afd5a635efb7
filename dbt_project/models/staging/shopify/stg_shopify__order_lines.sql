{#- Line items of Shopify orders (the latest version of each order). -#}
with lines as (
    {{ source_or_empty('shopify', 'orders__line_items', {
        'id': dbt.type_string(), '_dlt_parent_id': dbt.type_string(), 'sku': dbt.type_string(),
        'quantity': dbt.type_bigint()
    }) }}
)

select
    lines.id as line_id,
    orders.id as order_id,
    -- Written with its order (a dlt child table): the order's load, for the key tests.
    orders._dlt_load_id,
    lines.sku,
    cast(lines.quantity as {{ dbt.type_bigint() }}) as quantity
from lines
inner join {{ source('shopify', 'orders') }} as orders on orders._dlt_id = lines._dlt_parent_id
