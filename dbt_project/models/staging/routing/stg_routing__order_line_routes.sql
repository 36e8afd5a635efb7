with routes as (
    {{ source_or_empty('routing', 'order_line_routes', {
        'order_id': dbt.type_string(), 'line_id': dbt.type_string(), 'sku': dbt.type_string(),
        'quantity': dbt.type_bigint(), 'warehouse_id': dbt.type_string(),
        'home_warehouse_id': dbt.type_string(), 'decision': dbt.type_string(),
        'reason': dbt.type_string(), 'rule_version': dbt.type_string(), 'routed_as_of': dbt.type_timestamp()
    }) }}
)

select * from routes
