{#- The queue of source values the canonical vocabulary does not know: a new Shopify
    status, a carrier status, a 3PL event name. Their records make no canonical event
    until a row for them is added to seeds/source_status_mappings.csv, so nothing is
    silently dropped: it waits here, counted. The test unmapped_source_values_is_empty
    warns while this has rows. -#}
select
    observed.source,
    observed.source_field,
    observed.source_value,
    observed.records,
    observed.first_seen_at,
    observed.last_seen_at
from {{ ref('int_source_values_observed') }} as observed
left join {{ ref('source_status_mappings') }} as mappings
    on mappings.source = observed.source
    and mappings.source_field = observed.source_field
    and mappings.source_value = observed.source_value
where mappings.source is null
