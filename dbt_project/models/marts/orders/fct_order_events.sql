{#- The canonical event log. Incremental: each build adds the events that happened since
    `late_event_lookback_days` before the newest event already here, replacing any it
    already holds (same event_id), so late-arriving events inside the lookback land and
    nothing is doubled. Events that arrive later than that are caught by the nightly full
    refresh. -#}
{{ config(
    materialized='incremental',
    unique_key='event_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns'
) }}

select
    event_id,
    order_id,
    event_type,
    occurred_at,
    source,
    actor,
    reason,
    rule_version
from {{ ref('int_order_events_unioned') }}
{% if is_incremental() %}
where occurred_at >= (
    select {{ dbt.dateadd('day', -1 * var('late_event_lookback_days'), 'max(occurred_at)') }} from {{ this }}
)
{% endif %}
