{#- WooCommerce orders that broke the API's own contract (a "0000-00-00" date, an empty
    total). dlt kept the raw value in a variant column (e.g. total__v_text), so the typed
    column is null here; nothing is lost and the order does not reach the marts. -#}
select
    cast(id as {{ dbt.type_string() }}) as order_id,
    cast(number as {{ dbt.type_string() }}) as order_name,
    case
        when date_created_gmt is null then 'date_created_gmt is not a valid time'
        else 'total is not an amount'
    end as reason,
    {{ as_utc('date_modified_gmt') }} as updated_at
from {{ source('woocommerce', 'orders') }}
where date_created_gmt is null
    or total is null
