{#- One row per parcel (tracking number): where it is now and its delivery milestones.
    Events are ordered by when they happened, not when they arrived, and a parcel never
    moves backwards from a final status: once delivered (or returned to sender), a later
    or late-arriving in_transit scan does not reopen it. -#}
with events as (
    select * from {{ ref('stg_easypost__tracker_events') }}
    where tracking_number is not null
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
    cast(milestones.failed_attempts as {{ dbt.type_int() }}) as failed_attempts
from ranked
inner join milestones on milestones.tracking_number = ranked.tracking_number
where ranked.recency = 1
