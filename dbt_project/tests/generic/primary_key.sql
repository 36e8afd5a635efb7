{#- A key column: every row has one and no two rows share it. dbt's `unique` and `not_null`
    check the same thing in two queries, and on a staging or intermediate view each computes
    the view again; this reads it once (a null key is one group of its own). One failing row
    per repeated or missing key, with how many rows carry it.

    `loaded_from` (a source table, "shopify.orders", whose `_dlt_load_id` the model carries)
    checks only the keys of rows loaded since the last planned build, each against every row
    (macros/tested_through.sql): a pair of older rows was checked by that build or an earlier
    one. Without a window (a full build, dbt by hand on a new warehouse) every row is checked. -#}
{% test primary_key(model, column_name, loaded_from=none) %}
{%- set through = tested_through(loaded_from) if loaded_from else none %}
{%- set loaded_since %}(_dlt_load_id > {{ through }} or _dlt_load_id is null){% endset %}
select {{ column_name }} as key_value, count(*) as rows_with_key
from {{ model }}
{%- if through is not none %}
where {{ column_name }} in (select {{ column_name }} from {{ model }} where {{ loaded_since }})
    or ({{ column_name }} is null and {{ loaded_since }})
{%- endif %}
group by {{ column_name }}
having count(*) > 1 or {{ column_name }} is null
{% endtest %}
