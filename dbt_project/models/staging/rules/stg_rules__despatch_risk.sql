with despatch_risk as (
    {{ source_or_empty('rules', 'despatch_risk', {
        'rule_version': dbt.type_string(), 'effective_from': dbt.type_timestamp(), 'effective_to': dbt.type_timestamp(),
        'despatch_at_risk_hours': dbt.type_int()
    }) }}
)

select
    rule_version as despatch_risk_rule_version,
    effective_from,
    effective_to,
    cast(despatch_at_risk_hours as {{ dbt.type_int() }}) as despatch_at_risk_hours
from despatch_risk
