with versions as (
    {{ source_or_empty('rules', 'rule_versions', {
        'rule_set': dbt.type_string(), 'rule_version': dbt.type_string(), 'effective_from': dbt.type_timestamp(),
        'effective_to': dbt.type_timestamp(), 'description': dbt.type_string(), 'rule_diff': dbt.type_string(),
        'parameters': dbt.type_string()
    }) }}
)

select * from versions
