{#- Rows that share the same values in all of `columns` (a composite key that is not unique).
    Written here rather than pulling in a package for one test. -#}
{% test unique_combination_of_columns(model, columns) %}
select {{ columns | join(', ') }}, count(*) as copies
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
