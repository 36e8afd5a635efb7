{#- One row per holiday region and calendar day, with the working day an SLA lands on.
    A working day is Monday to Friday and not a public holiday of the region. -#}
{{ config(tags=['python_input']) }}
with days as (
    {{ dbt.date_spine(
        'day',
        "cast('" ~ var('calendar_start') ~ "' as date)",
        "cast('" ~ var('calendar_end') ~ "' as date)"
    ) }}
),

regions as (
    select distinct holiday_region as region from {{ ref('warehouses') }}
),

holidays as (
    select region, holiday_date from {{ ref('stg_calendar__public_holidays') }}
),

flagged as (
    select
        regions.region,
        cast(days.date_day as date) as calendar_date,
        {{ iso_day_of_week('cast(days.date_day as date)') }} < 6
            and holidays.holiday_date is null as is_working_day
    from days
    cross join regions
    left join holidays
        on holidays.region = regions.region
        and holidays.holiday_date = cast(days.date_day as date)
)

select
    region,
    calendar_date,
    is_working_day,
    min(case when is_working_day then calendar_date end) over (
        partition by region order by calendar_date rows between current row and unbounded following
    ) as next_working_day,
    min(case when is_working_day then calendar_date end) over (
        partition by region order by calendar_date rows between 1 following and unbounded following
    ) as following_working_day,
    -- Counting working days lets SLAs add "N working days" with a join on this number.
    sum(case when is_working_day then 1 else 0 end) over (
        partition by region order by calendar_date rows between unbounded preceding and current row
    ) as working_day_number
from flagged
