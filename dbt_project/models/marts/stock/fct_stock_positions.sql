{#- Per SKU and warehouse: what is on the shelf, what open orders hold, what may be sold.
    available_to_sell = on hand - reserved - safety stock, never below zero; what each
    channel may publish is in stock_to_publish. Safety stock is the safety_stock rule
    version in force at the data's as-of time (rules/safety_stock.yaml): its per-SKU row,
    else its default. -#}
with on_hand as (
    select * from {{ ref('int_stock_on_hand') }}
),

reserved as (
    select * from {{ ref('int_stock_reservations') }}
),

backordered as (
    select home_warehouse_id as warehouse_id, sku, sum(quantity) as units
    from {{ ref('stg_routing__order_line_routes') }}
    where decision = 'backordered' and sku is not null
    group by home_warehouse_id, sku
),

safety_rules as (
    -- The version in force now (data time).
    select rules.*
    from {{ ref('stg_rules__safety_stock') }} as rules
    cross join {{ ref('int_stock_as_of') }} as as_of
    where rules.effective_from <= as_of.as_of_at
        and (rules.effective_to is null or as_of.as_of_at < rules.effective_to)
),

safety_default as (
    select safety_stock_rule_version, safety_stock_units
    from safety_rules
    where warehouse_id is null and sku is null
),

keys as (
    select warehouse_id, sku from on_hand
    union
    select warehouse_id, sku from reserved
    union
    select warehouse_id, sku from backordered
),

positions as (
    select
        keys.warehouse_id,
        keys.sku,
        on_hand.counted_at,
        coalesce(on_hand.on_hand, 0) as on_hand,
        coalesce(reserved.reserved_units, 0) as reserved,
        coalesce(safety.safety_stock_units, safety_default.safety_stock_units) as safety_stock,
        safety_default.safety_stock_rule_version,
        coalesce(backordered.units, 0) as backordered_units
    from keys
    left join on_hand on on_hand.warehouse_id = keys.warehouse_id and on_hand.sku = keys.sku
    left join reserved on reserved.warehouse_id = keys.warehouse_id and reserved.sku = keys.sku
    left join backordered on backordered.warehouse_id = keys.warehouse_id and backordered.sku = keys.sku
    left join safety_rules as safety
        on safety.warehouse_id = keys.warehouse_id and safety.sku = keys.sku
    left join safety_default on 1 = 1
)

select
    {{ dbt.hash(dbt.concat(["warehouse_id", "'|'", "sku"])) }} as stock_position_id,
    warehouse_id,
    sku,
    counted_at,
    cast(on_hand as {{ dbt.type_bigint() }}) as on_hand,
    cast(reserved as {{ dbt.type_bigint() }}) as reserved,
    cast(safety_stock as {{ dbt.type_bigint() }}) as safety_stock,
    cast(case when on_hand - reserved - safety_stock > 0 then on_hand - reserved - safety_stock else 0 end
        as {{ dbt.type_bigint() }}) as available_to_sell,
    cast(case when reserved > on_hand then reserved - on_hand else 0 end as {{ dbt.type_bigint() }})
        as oversold_units,
    cast(backordered_units as {{ dbt.type_bigint() }}) as backordered_units,
    safety_stock_rule_version
from positions
