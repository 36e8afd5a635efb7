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

{#- DuckDB-only: an instant's microseconds since the epoch are its naive UTC timestamp, so
    integer arithmetic gives the same value as AT TIME ZONE 'UTC' without ICU's time zone
    lookup, whatever the session's TimeZone. At 1M orders that lookup cost 0.17 s per two
    million values, paid by every staging view, test and branch that reads a timestamp
    (docs/PERFORMANCE.md, step 21). -#}
{% macro duckdb__as_utc(column) -%}
    make_timestamp(epoch_us({{ column }}))
{%- endmacro %}

{#- Unix seconds (Stripe's `created`) to a naive UTC timestamp. -#}
{% macro from_unix_seconds(column) -%}
    {{ return(adapter.dispatch('from_unix_seconds', 'orderloop')(column)) }}
{%- endmacro %}

{% macro default__from_unix_seconds(column) -%}
    (to_timestamp({{ column }}) at time zone 'UTC')
{%- endmacro %}

{#- DuckDB-only: as duckdb__as_utc, without the time zone lookup. -#}
{% macro duckdb__from_unix_seconds(column) -%}
    make_timestamp(cast(round({{ column }} * 1000000) as {{ dbt.type_bigint() }}))
{%- endmacro %}
