{#- Every hold and exception, open or resolved, with its owner and age. The owner and
    whether it holds fulfilment are those of the exception_owners rule version in force when
    the exception opened (rules/exception_owners.yaml): a later change of owner applies to
    exceptions opened from its effective date, not to older ones. -#}
with exceptions as (
    select * from {{ ref('int_order_exceptions') }}
),

owners as (
    select * from {{ ref('stg_rules__exception_owners') }}
),

as_of as (
    select as_of_at from {{ ref('int_data_as_of') }}
)

select
    exceptions.exception_id,
    exceptions.order_id,
    exceptions.reason,
    exceptions.detail,
    owners.owner,
    owners.holds_fulfilment,
    owners.owner_rule_version,
    exceptions.opened_at,
    exceptions.resolved_at,
    exceptions.resolution,
    exceptions.resolved_at is null as is_open,
    cast({{ dbt.datediff('exceptions.opened_at', 'coalesce(exceptions.resolved_at, as_of.as_of_at)', 'minute') }}
        as {{ dbt.type_float() }}) / 60.0 as age_hours
from exceptions
-- Left join: an exception no version covers (opened before the first) keeps its row, and
-- the not_null test on owner says so.
left join owners
    on owners.reason = exceptions.reason
    and owners.effective_from <= exceptions.opened_at
    and (owners.effective_to is null or exceptions.opened_at < owners.effective_to)
cross join as_of
