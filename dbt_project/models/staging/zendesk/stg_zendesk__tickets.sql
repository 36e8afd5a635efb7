{#- Support tickets with the order they are about and why the customer got in touch.
    The two custom fields are configured per Zendesk account (vars in dbt_project.yml). -#}
with tickets as (
    {{ source_or_empty('zendesk', 'tickets', {
        'id': dbt.type_bigint(), '_dlt_id': dbt.type_string(), 'created_at': type_loaded_timestamp(),
        'updated_at': type_loaded_timestamp(), 'status': dbt.type_string(), 'subject': dbt.type_string()
    }) }}
),

custom_fields as (
    {{ source_or_empty('zendesk', 'tickets__custom_fields', {
        '_dlt_parent_id': dbt.type_string(), 'id': dbt.type_bigint(), 'value': dbt.type_string()
    }) }}
),

fields as (
    select
        _dlt_parent_id,
        max(case when id = {{ var('zendesk_order_reference_field_id') }} then value end) as order_reference,
        max(case when id = {{ var('zendesk_contact_reason_field_id') }} then value end) as contact_reason
    from custom_fields
    group by _dlt_parent_id
)

select
    tickets.id as ticket_id,
    fields.order_reference,
    coalesce(fields.contact_reason, 'other') as contact_reason,
    tickets.status,
    {{ as_utc('tickets.created_at') }} as created_at,
    {{ as_utc('tickets.updated_at') }} as updated_at
from tickets
left join fields on fields._dlt_parent_id = tickets._dlt_id
