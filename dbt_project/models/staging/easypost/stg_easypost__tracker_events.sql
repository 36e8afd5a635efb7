with events as (
    {{ source_or_empty('easypost', 'tracker_events', {
        'id': dbt.type_string(), 'created_at': type_loaded_timestamp(), 'tracking_code': dbt.type_string(),
        'carrier': dbt.type_string(), 'status': dbt.type_string(), 'status_detail': dbt.type_string(),
        '_dlt_load_id': dbt.type_string()
    }) }}
)

select
    id as event_id,
    tracking_code as tracking_number,
    carrier,
    status as tracking_status,
    status_detail,
    {{ as_utc('created_at') }} as occurred_at,
    _dlt_load_id  -- the dlt load that wrote it, for the key tests
from events
