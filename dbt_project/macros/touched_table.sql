{#- The keys (orders, parcels) an incremental build must recompute, written to a temporary
    table before the model runs; returns the table's name for the model to join to.
    As a CTE read by every branch of a model, DuckDB could not know the set was small, or
    empty: it computed each source's whole staging view (two million transactions and carrier
    events at 1M orders) before joining it to the few touched orders. A table's row count is
    exact, so the joins start from it and skip a branch's source when nothing was touched.
    `create temporary table` is standard SQL, and dbt compiles and runs a model in one
    connection, so the model sees the table. Only at execution: parsing runs no query. -#}
{% macro touched_table(select_sql) -%}
    {%- set name = this.identifier ~ '__touched' -%}
    {%- if execute -%}
        {%- do run_query('create or replace temporary table ' ~ name ~ ' as ' ~ select_sql) -%}
    {%- endif -%}
    {{- return(name) -}}
{%- endmacro %}
