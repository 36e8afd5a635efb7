{#- One row per parcel (tracking number): where it is now and its delivery milestones.
    Events are ordered by when they happened, not when they arrived, and a parcel never
    moves backwards from a final status: once delivered (or returned to sender), a later
    or late-arriving in_transit scan does not reopen it.
    Incremental by parcel: a row depends on its tracking number's carrier events alone, which
    dlt appends, so a build recomputes the tracking numbers with events loaded after its
    `_loaded_through` (the newest dlt load id read) and replaces them (delete+insert on
    tracking_number). `--full-refresh` rebuilds every parcel the same way. -#}
{{ config(
    materialized='incremental',
    unique_key='tracking_number',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns'
) }}

{#- Incremental once the table has its bookkeeping column (macros/incremental_with.sql). -#}
{%- set incremental = incremental_with('_loaded_through') %}
{%- if incremental %}
{%- set touched_sql %}
    -- A null load id (a table written without dlt) counts as new on every build.
    select distinct order_key as tracking_number
    from ({{ source_loads('easypost', 'tracker_events', 'tracking_code') }}) as loads
    where dlt_load_id is null
        or dlt_load_id > {{ loaded_through_literal(this) }}
{%- endset %}
{#- The parcels to recompute, in a temporary table (macros/touched_table.sql). -#}
{%- set touched = touched_table(touched_sql) %}
{%- endif %}
with loads as (
    {{ source_loads('easypost', 'tracker_events', 'tracking_code') }}
),

events as (
    select * from {{ ref('stg_easypost__tracker_events') }}
    where tracking_number is not null
    {%- if incremental %}
        and tracking_number in (select tracking_number from {{ touched }})
    {%- endif %}
),

ranked as (
    select
        tracking_number,
        tracking_status,
        status_detail,
        occurred_at,
        row_number() over (
            partition by tracking_number
            order by
                case when tracking_status in ('delivered', 'return_to_sender') then 1 else 0 end desc,
                occurred_at desc,
                event_id desc
        ) as recency
    from events
),

milestones as (
    select
        tracking_number,
        min(case when tracking_status not in ('unknown', 'pre_transit') then occurred_at end) as first_scan_at,
        min(case when tracking_status = 'out_for_delivery' then occurred_at end) as out_for_delivery_at,
        min(case when tracking_status = 'delivered' then occurred_at end) as delivered_at,
        min(case when tracking_status = 'return_to_sender' then occurred_at end) as returned_to_sender_at,
        sum(case when tracking_status = 'failure' then 1 else 0 end) as failed_attempts
    from events
    group by tracking_number
)

select
    ranked.tracking_number,
    ranked.tracking_status as current_status,
    ranked.status_detail as current_status_detail,
    ranked.occurred_at as status_at,
    milestones.first_scan_at,
    milestones.out_for_delivery_at,
    milestones.delivered_at,
    milestones.returned_to_sender_at,
    cast(milestones.failed_attempts as {{ dbt.type_int() }}) as failed_attempts,
    (select max(dlt_load_id) from loads) as _loaded_through,
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }}) as _built_at
from ranked
inner join milestones on milestones.tracking_number = ranked.tracking_number
where ranked.recency = 1
