with cutoffs as (
    {{ source_or_empty('rules', 'cutoffs', {
        'rule_version': dbt.type_string(), 'effective_from': dbt.type_timestamp(), 'effective_to': dbt.type_timestamp(),
        'warehouse_id': dbt.type_string(), 'service_code': dbt.type_string(),
        'despatch_cutoff_minutes': dbt.type_int(), 'collection_minutes': dbt.type_int()
    }) }}
)

select
    rule_version as cutoff_rule_version,
    effective_from,
    effective_to,
    warehouse_id,
    service_code,
    cast(despatch_cutoff_minutes as {{ dbt.type_int() }}) as despatch_cutoff_minutes,
    cast(collection_minutes as {{ dbt.type_int() }}) as collection_minutes
from cutoffs
