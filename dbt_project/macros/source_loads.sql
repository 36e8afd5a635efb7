{#- One row per row of a loaded source table: the order key it names and the dlt load that
    wrote it (`_dlt_load_id`), so incremental models can find what arrived since their last
    build. A table the loader has not created yet gives no rows; a table without
    `_dlt_load_id` (written by hand, as some tests do) gives a null load, which incremental
    models treat as new on every build: slower, never stale. -#}
{% macro source_loads(source_name, table_name, order_key) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set existing = load_relation(relation) if execute else none -%}
    {%- if existing is none -%}
        select
            cast(null as {{ dbt.type_string() }}) as order_key,
            cast(null as {{ dbt.type_string() }}) as dlt_load_id
        where 1 = 0
    {%- else -%}
        {%- set names = adapter.get_columns_in_relation(existing) | map(attribute='name') | map('lower') | list -%}
        select
            cast({{ order_key }} as {{ dbt.type_string() }}) as order_key,
            {% if '_dlt_load_id' in names -%}
            cast(_dlt_load_id as {{ dbt.type_string() }})
            {%- else -%}
            cast(null as {{ dbt.type_string() }})
            {%- endif %} as dlt_load_id
        from {{ relation }}
    {%- endif -%}
{%- endmacro %}
