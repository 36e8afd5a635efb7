{#- The canonical event log. Incremental by order: each build replaces the events of the
    orders int_order_events_unioned rewrote since this model's last build (its `_built_at` is
    later), so a late event, or an old event whose actor changed because orderloop booked
    the label, lands however old it is; merged on order_id (delete+insert). `--full-refresh`
    gives the same table. -#}
{{ config(
    materialized='incremental',
    unique_key='order_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns'
) }}

{#- A table built before it was incremental by order has no `_built_at`: its first build
    replaces every order (and adds the column). -#}
{%- set incremental = is_incremental()
    and '_built_at' in (adapter.get_columns_in_relation(this) | map(attribute='name') | list) %}

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
{%- if incremental %}
where _built_at > (
    select coalesce(max(_built_at), cast('1900-01-01' as {{ dbt.type_timestamp() }})) from {{ this }}
)
{%- endif %}
