with checks as (
    {{ source_or_empty('validation', 'order_contact_checks', {
        'order_id': dbt.type_string(), 'contact_fingerprint': dbt.type_string(),
        'order_updated_at': dbt.type_timestamp(), 'is_address_valid': dbt.type_boolean(),
        'address_reason': dbt.type_string(), 'is_phone_valid': dbt.type_boolean(),
        'phone_reason': dbt.type_string(), 'postcode_normalised': dbt.type_string(),
        'phone_e164': dbt.type_string()
    }) }}
)

select
    order_id,
    contact_fingerprint,
    order_updated_at,
    is_address_valid,
    address_reason,
    is_phone_valid,
    phone_reason,
    postcode_normalised,
    phone_e164
from checks
