with safety_stock as (
    {{ source_or_empty('rules', 'safety_stock', {
        'rule_version': dbt.type_string(), 'effective_from': dbt.type_timestamp(), 'effective_to': dbt.type_timestamp(),
        'warehouse_id': dbt.type_string(), 'sku': dbt.type_string(), 'units': dbt.type_int()
    }) }}
)

select
    rule_version as safety_stock_rule_version,
    effective_from,
    effective_to,
    warehouse_id,
    sku,
    cast(units as {{ dbt.type_int() }}) as safety_stock_units
from safety_stock
