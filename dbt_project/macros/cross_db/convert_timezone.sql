{#- Time zone conversion differs by dialect, so it is dispatched. Timestamps in the
    warehouse are naive UTC; these return naive timestamps in the target zone.
    default__ is the SQL-standard AT TIME ZONE form (DuckDB with ICU, Postgres);
    Spark-style engines would add e.g. spark__utc_to_local with from_utc_timestamp. -#}

{% macro utc_to_local(column, tz) -%}
    {{ return(adapter.dispatch('utc_to_local', 'orderloop')(column, tz)) }}
{%- endmacro %}

{% macro default__utc_to_local(column, tz) -%}
    (({{ column }} at time zone 'UTC') at time zone {{ tz }})
{%- endmacro %}

{% macro local_to_utc(column, tz) -%}
    {{ return(adapter.dispatch('local_to_utc', 'orderloop')(column, tz)) }}
{%- endmacro %}

{% macro default__local_to_utc(column, tz) -%}
    (({{ column }} at time zone {{ tz }}) at time zone 'UTC')
{%- endmacro %}

{#- Loaders land instants as timestamp with time zone; marts use naive UTC timestamps so
    every engine compares them the same way. -#}
{% macro as_utc(column) -%}
    {{ return(adapter.dispatch('as_utc', 'orderloop')(column)) }}
{%- endmacro %}

{% macro default__as_utc(column) -%}
    ({{ column }} at time zone 'UTC')
{%- endmacro %}

{#- Unix seconds (Stripe's `created`) to a naive UTC timestamp. -#}
{% macro from_unix_seconds(column) -%}
    {{ return(adapter.dispatch('from_unix_seconds', 'orderloop')(column)) }}
{%- endmacro %}

{% macro default__from_unix_seconds(column) -%}
    (to_timestamp({{ column }}) at time zone 'UTC')
{%- endmacro %}
