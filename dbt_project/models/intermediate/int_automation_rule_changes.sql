{#- Each automation rule change (a version of a rule set in rules/) and when it took effect.
    A version that has not yet acted (no event carries it) is listed all the same: its
    effective date is what the before/after windows are cut at. -#}
select
    rule_set,
    rule_version,
    description,
    rule_diff,
    effective_from as effective_at
from {{ ref('stg_rules__rule_versions') }}
