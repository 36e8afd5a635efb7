{#- Every order line of every channel: what routing allocates and stock reserves. -#}
{{ config(tags=['python_input']) }}

select order_id, line_id, sku, quantity, 'shopify' as channel from {{ ref('stg_shopify__order_lines') }}
union all
select order_id, line_id, sku, quantity, 'woocommerce' from {{ ref('stg_woocommerce__order_lines') }}
union all
select
    {{ dbt.concat(["channel", "':'", "order_id"]) }} as order_id,
    line_key as line_id,
    sku,
    quantity,
    channel
from {{ ref('stg_order_files__order_lines') }}
where sku is not null
