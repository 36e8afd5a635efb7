{#- Each automation rule change and when it took effect: the seed's effective_at, else the
    first event the rule version produced. A change that has not acted yet has no row. -#}
with first_use as (
    select rule_version, min(occurred_at) as first_used_at
    from {{ ref('int_order_events_unioned') }}
    where rule_version is not null
    group by rule_version
)

select
    changes.rule_set,
    changes.rule_version,
    changes.description,
    changes.rule_diff,
    coalesce(changes.effective_at, first_use.first_used_at) as effective_at
from {{ ref('automation_rule_changes') }} as changes
left join first_use on first_use.rule_version = changes.rule_version
where coalesce(changes.effective_at, first_use.first_used_at) is not null
