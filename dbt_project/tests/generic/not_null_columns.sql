{#- None of `columns` is null in any row: dbt's `not_null` for several columns in one test.
    Each test is a node, and dbt spends about 25 ms on a node whatever its data, so one query
    per model instead of one per column keeps that cost off every build; on a view it also
    computes the view once, not once per column. One failing row per column that has nulls,
    naming the column and how many rows lack it. Portable SQL (no FILTER, no UNPIVOT). -#}
{% test not_null_columns(model, columns) %}
with null_counts as (
    select
    {%- for column in columns %}
        sum(case when {{ column }} is null then 1 else 0 end) as null_rows_{{ loop.index }}
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
    from {{ model }}
)
{%- for column in columns %}
select '{{ column }}' as null_column, null_rows_{{ loop.index }} as null_rows
from null_counts
where null_rows_{{ loop.index }} > 0
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}
{% endtest %}
