{#- is_incremental(), for a table that already has `column`, the bookkeeping its incremental
    build reads (`_built_at`, `_loaded_through`...). A table built before its model was
    incremental, or before the column existed, has none: its first incremental build
    recomputes everything, as a first build does, and adds the column
    (on_schema_change='append_new_columns'). -#}
{% macro incremental_with(column) -%}
    {{- return(is_incremental() and column in (adapter.get_columns_in_relation(this) | map(attribute='name') | list)) -}}
{%- endmacro %}
