{#- Line items of WooCommerce orders (the latest version of each order). -#}
with lines as (
    {{ source_or_empty('woocommerce', 'orders__line_items', {
        'id': dbt.type_bigint(), '_dlt_parent_id': dbt.type_string(), 'sku': dbt.type_string(),
        'quantity': dbt.type_bigint()
    }) }}
)

select
    cast(lines.id as {{ dbt.type_string() }}) as line_id,
    cast(orders.id as {{ dbt.type_string() }}) as order_id,
    -- Written with its order (a dlt child table): the order's load, for the key tests.
    orders._dlt_load_id,
    lines.sku,
    cast(lines.quantity as {{ dbt.type_bigint() }}) as quantity
from lines
inner join {{ source('woocommerce', 'orders') }} as orders on orders._dlt_id = lines._dlt_parent_id
