{#- A pseudonymous key for the customer behind an email: the hash of the trimmed, lower-cased
    address, so analysts can count repeat customers without seeing who they are. Null for no
    email, and for an address `orderloop erase-customer` replaced (docs/personal-data.md). -#}
{% macro customer_key(email) -%}
    case
        when nullif(trim({{ email }}), '') is null or trim({{ email }}) = '[erased]' then null
        else {{ dbt.hash('lower(trim(' ~ email ~ '))') }}
    end
{%- endmacro %}
