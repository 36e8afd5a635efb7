select
    region,
    cast(holiday_date as date) as holiday_date,
    holiday_name
from {{ source('calendar', 'public_holidays') }}
