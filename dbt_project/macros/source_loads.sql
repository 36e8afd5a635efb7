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

{#- The newest dlt load id an incremental table has read (its `_loaded_through`), as a SQL
    literal. A filter `dlt_load_id > <literal>` reaches each source table's scan and skips the
    old loads' row groups; the same comparison with a subquery is applied only after
    int_order_source_loads' joins, which at 1M orders joined every carrier event to its
    parcel on every build, new loads or not (about 0.5 s). -#}
{% macro loaded_through_literal(relation) -%}
    {%- set value = '' -%}
    {%- if execute -%}
        {%- set value = run_query(
            "select coalesce(max(_loaded_through), '') from " ~ relation
        ).columns[0].values()[0] -%}
    {%- endif -%}
    '{{ value | replace("'", "''") }}'
{%- endmacro %}
