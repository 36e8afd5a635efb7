with owners as (
    {{ source_or_empty('rules', 'exception_owners', {
        'rule_version': dbt.type_string(), 'effective_from': dbt.type_timestamp(), 'effective_to': dbt.type_timestamp(),
        'reason': dbt.type_string(), 'owner': dbt.type_string(), 'holds_fulfilment': dbt.type_boolean()
    }) }}
)

select
    rule_version as owner_rule_version,
    effective_from,
    effective_to,
    reason,
    owner,
    holds_fulfilment
from owners
