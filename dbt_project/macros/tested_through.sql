{#- The newest dlt load of a source table ("shopify.orders") that an earlier successful build
    already tested, as a SQL literal, or none when every row must be tested: no planned build
    (dbt run by hand on a new warehouse), a full build, or a table never built before.
    pipelines/dbt_build_inputs.py writes pipeline_state.dbt_test_windows before each build it
    plans. Only at execution: parsing runs no query. -#}
{% macro tested_through(source_table) -%}
    {%- if not execute -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set exists = run_query(
        "select count(*) from information_schema.tables where table_schema = 'pipeline_state'"
        ~ " and table_name = 'dbt_test_windows' and table_catalog = current_database()"
    ).columns[0].values()[0] -%}
    {%- if not exists -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set found = run_query(
        "select tested_through from pipeline_state.dbt_test_windows where source_table = '"
        ~ source_table | replace("'", "''") ~ "'"
    ).columns[0].values() -%}
    {{- return(("'" ~ found[0] | replace("'", "''") ~ "'") if found | length else none) -}}
{%- endmacro %}
