{#- A key column: every row has one and no two rows share it. dbt's `unique` and `not_null`
    check the same thing in two queries, and on a staging or intermediate view each computes
    the view again; this reads it once (a null key is one group of its own). One failing row
    per repeated or missing key, with how many rows carry it. -#}
{% test primary_key(model, column_name) %}
select {{ column_name }} as key_value, count(*) as rows_with_key
from {{ model }}
group by {{ column_name }}
having count(*) > 1 or {{ column_name }} is null
{% endtest %}
