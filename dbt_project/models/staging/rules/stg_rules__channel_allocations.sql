with allocations as (
    {{ source_or_empty('rules', 'channel_allocations', {
        'rule_version': dbt.type_string(), 'effective_from': dbt.type_timestamp(), 'effective_to': dbt.type_timestamp(),
        'channel': dbt.type_string(), 'share_pct': dbt.type_int()
    }) }}
)

select
    rule_version as allocation_rule_version,
    effective_from,
    effective_to,
    channel,
    cast(share_pct as {{ dbt.type_int() }}) as share_pct
from allocations
