{#- Every hold and exception, open or resolved, with its owner and age. -#}
with exceptions as (
    select * from {{ ref('int_order_exceptions') }}
),

reasons as (
    select * from {{ ref('exception_reasons') }}
),

as_of as (
    select as_of_at from {{ ref('int_data_as_of') }}
)

select
    exceptions.exception_id,
    exceptions.order_id,
    exceptions.reason,
    exceptions.detail,
    reasons.owner,
    reasons.holds_fulfilment,
    exceptions.opened_at,
    exceptions.resolved_at,
    exceptions.resolution,
    exceptions.resolved_at is null as is_open,
    cast({{ dbt.datediff('exceptions.opened_at', 'coalesce(exceptions.resolved_at, as_of.as_of_at)', 'minute') }}
        as {{ dbt.type_float() }}) / 60.0 as age_hours
from exceptions
inner join reasons on reasons.reason = exceptions.reason
cross join as_of
