{#- A continuous percentile as an aggregate. Not among dbt's cross-database macros.
    default__ is the SQL-standard ordered-set form (DuckDB, Postgres, Snowflake);
    Spark-style engines would add spark__percentile with percentile_approx. -#}
{% macro percentile(column, fraction) -%}
    {{ return(adapter.dispatch('percentile', 'orderloop')(column, fraction)) }}
{%- endmacro %}

{% macro default__percentile(column, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ column }})
{%- endmacro %}
