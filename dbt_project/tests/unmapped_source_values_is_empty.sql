{#- Warns (does not fail the build) while some source sends values the canonical
    vocabulary does not map; see marts/data_quality/unmapped_source_values. -#}
{{ config(severity='warn') }}
select * from {{ ref('unmapped_source_values') }}
