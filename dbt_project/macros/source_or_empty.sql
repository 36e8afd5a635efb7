{#- Select from a source table, or from an empty, typed relation when the loader has not
    created it yet. dlt creates a table only once it has seen a row (no 3PL file yet, no
    webhook yet), and a merchant's first run must not fail because of that.
    `columns` maps column names to SQL types. -#}
{% macro source_or_empty(source_name, table_name, columns) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if execute and load_relation(relation) is none -%}
        select
        {%- for name, data_type in columns.items() %}
            cast(null as {{ data_type }}) as {{ name }}{{ "," if not loop.last }}
        {%- endfor %}
        where 1 = 0
    {%- else -%}
        select {{ columns.keys() | join(", ") }} from {{ relation }}
    {%- endif -%}
{%- endmacro %}

{#- The type loaders give instants (dlt: timestamp with time zone), so an empty stand-in
    has the same type and `as_utc` treats both alike. -#}
{% macro type_loaded_timestamp() -%}
    {{ return(adapter.dispatch('type_loaded_timestamp', 'orderloop')()) }}
{%- endmacro %}

{% macro default__type_loaded_timestamp() -%}
    timestamp with time zone
{%- endmacro %}
