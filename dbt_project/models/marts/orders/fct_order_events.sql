{#- The canonical event log, as analysts and dashboards read it: a view of the lifecycle's
    event table (int_order_events_unioned, incremental by order) without its load bookkeeping.
    A view, not a second table: the table was a copy of every event (27.7 s of a 10M build,
    and its own uniqueness test another 8 s). The not-null guarantees are enforced by the
    contract of the table the rows are written to; publication copies this view into the
    published file as a table. -#}
{{ config(materialized='view') }}

select
    event_id,
    order_id,
    event_type,
    occurred_at,
    source,
    actor,
    reason,
    rule_version,
    _built_at
from {{ ref('int_order_events_unioned') }}
