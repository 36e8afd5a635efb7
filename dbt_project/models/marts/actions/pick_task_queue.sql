{#- Order lines ready to pick: the pick tasks the warehouses should have. An order is ready
    when its payment is captured (not merely authorised), it is not cancelled and no warehouse
    has started, packed or despatched it, its current delivery address passed validation (an
    invalid one is held), and routing placed every line, with stock, at one warehouse (split
    and backordered orders wait). Each line carries the bin location of its SKU at that
    warehouse from the latest stock count, so the action can walk the pick path. Built before
    the actions run, so it must not read the pick-task ledger: the action consults it. -#}
with ready_orders as (
    select order_id, order_name, channel, placed_at, service_code
    from {{ ref('int_orders_awaiting_fulfilment') }}
    where authorisation_expires_at is null
),

started_by_a_warehouse as (
    select distinct order_reference
    from {{ ref('stg_warehouse_feeds__fulfilment_events') }}
    where order_reference is not null
),

valid_contacts as (
    -- The check of the contact as it is now (its current fingerprint), as the label queue reads it.
    select
        contacts.order_id,
        contacts.ship_to_name,
        contacts.ship_to_address1,
        contacts.ship_to_address2,
        contacts.ship_to_city,
        contacts.ship_to_postcode,
        contacts.ship_to_country_code
    from {{ ref('int_order_contacts_unioned') }} as contacts
    inner join {{ ref('stg_validation__order_contact_checks') }} as checks
        on checks.order_id = contacts.order_id
        and checks.contact_fingerprint = contacts.contact_fingerprint
    where checks.is_address_valid
),

routes as (
    select * from {{ ref('stg_routing__order_line_routes') }}
),

wholly_routed as (
    select order_id
    from routes
    group by order_id
    having count(distinct warehouse_id) = 1
        and count(warehouse_id) = count(*)
        and max(case when decision = 'single_warehouse' then 0 else 1 end) = 0
),

latest_counts as (
    select
        warehouse_id,
        sku,
        location,
        on_hand,
        rank() over (partition by warehouse_id, sku order by counted_at desc) as recency
    from {{ ref('stg_warehouse_feeds__stock_counts') }}
),

bins as (
    -- Where the SKU is picked from: the location holding most of it at the latest count.
    select warehouse_id, sku, location
    from (
        select
            warehouse_id,
            sku,
            location,
            row_number() over (
                partition by warehouse_id, sku order by on_hand desc, location
            ) as preference
        from latest_counts
        where recency = 1
    ) as ranked
    where preference = 1
)

select
    routes.order_id,
    routes.line_id,
    ready_orders.order_name as order_reference,
    ready_orders.channel,
    ready_orders.placed_at,
    ready_orders.service_code,
    routes.warehouse_id,
    routes.sku,
    cast(routes.quantity as {{ dbt.type_bigint() }}) as quantity,
    bins.location as bin_location,
    valid_contacts.ship_to_name,
    valid_contacts.ship_to_address1,
    valid_contacts.ship_to_address2,
    valid_contacts.ship_to_city,
    valid_contacts.ship_to_postcode,
    valid_contacts.ship_to_country_code,
    routes.rule_version as routing_rule_version,
    routes.routed_as_of
from routes
inner join wholly_routed on wholly_routed.order_id = routes.order_id
inner join ready_orders on ready_orders.order_id = routes.order_id
inner join valid_contacts on valid_contacts.order_id = routes.order_id
left join bins
    on bins.warehouse_id = routes.warehouse_id
    and bins.sku = routes.sku
where ready_orders.order_name not in (select order_reference from started_by_a_warehouse)
