with allocations as (
    {{ source_or_empty('routing', 'first_allocations', {
        'order_id': dbt.type_string(), 'allocated_at': dbt.type_timestamp(), 'warehouse_ids': dbt.type_string()
    }) }}
)

select * from allocations
