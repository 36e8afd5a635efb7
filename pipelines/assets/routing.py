"""Routing as an asset between the dbt staging layer and the marts.

Each run re-plans every open order against what the warehouses hold now (open orders are
few; history is not re-routed) and keeps a ledger of stock shortages, so a
``stock_shortage`` exception opens when an order is first found backordered and resolves
on the first run that finds stock for it (or no longer has to: cancelled, shipped).
"""

from collections.abc import Iterator

from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, multi_asset

from orderloop.decision_clock import decision_now
from orderloop.rule_sets import CutoffRules, PriorityRules, in_force, routing_rules
from pipelines.assets.ingestion import WRITER_POOL
from pipelines.resources import WarehouseResource
from pipelines.routing.allocation import route_orders
from pipelines.routing.inputs import cutoff_windows, read_routing_inputs

ROUTES = AssetKey(["routing", "order_line_routes"])
SHORTAGES = AssetKey(["routing", "stock_shortages"])
ALLOCATIONS = AssetKey(["routing", "first_allocations"])
INPUT_MODELS = (
    "int_orders_awaiting_fulfilment", "int_order_lines_unioned", "int_stock_on_hand", "int_business_days"
)
INPUTS = [*(AssetKey(["intermediate", name]) for name in INPUT_MODELS), AssetKey(["reference", "warehouses"])]

# DuckDB SQL throughout (create or replace, registered Arrow tables): this asset talks to
# the warehouse through the DuckDB resource.

CREATE_ALLOCATIONS = """
create table if not exists routing.first_allocations (
    order_id varchar primary key,
    allocated_at timestamp not null,
    warehouse_ids varchar
)
"""

CREATE_SHORTAGES = """
create table if not exists routing.stock_shortages (
    order_id varchar primary key,
    first_backordered_at timestamp not null,
    detail varchar,
    cleared_at timestamp
)
"""


@multi_asset(
    specs=[
        AssetSpec(ROUTES, deps=INPUTS, group_name="routing", kinds={"python", "polars", "duckdb"},
                  description="The current routing plan: a warehouse (or a backorder) per open order line."),
        AssetSpec(SHORTAGES, deps=INPUTS, group_name="routing", kinds={"python", "duckdb"},
                  description="When each order was first found without stock, and when stock was found."),
        AssetSpec(ALLOCATIONS, deps=INPUTS, group_name="routing", kinds={"python", "duckdb"},
                  description="When each order first had stock allocated to every line."),
    ],
    pool=WRITER_POOL,
)
def order_routing(
    context: AssetExecutionContext, warehouse: WarehouseResource
) -> Iterator[MaterializeResult]:
    with warehouse.connect() as conn:
        inputs = read_routing_inputs(conn)
        as_of = inputs.as_of
        params = {"as_of": as_of}
        # Decisions are made now, under the rules in force now (decision_clock).
        now = decision_now()
        rules = routing_rules(now)
        priorities, cutoffs = in_force(PriorityRules, now), in_force(CutoffRules, now)
        windows = cutoff_windows(conn, as_of, cutoffs)
        routes = route_orders(inputs.orders, inputs.lines, inputs.stock, windows, rules, priorities)

        conn.execute("create schema if not exists routing")
        conn.register("new_routes", routes.to_arrow())
        conn.execute(
            "create or replace table routing.order_line_routes as"
            " select *, cast($as_of as timestamp) as routed_as_of from new_routes",
            params,
        )
        conn.execute(CREATE_SHORTAGES)
        # Open a shortage for orders first found backordered (one per order, like every
        # exception); clear open ones now routed, cancelled or shipped.
        conn.execute(
            """
            insert into routing.stock_shortages (order_id, first_backordered_at, detail)
            select order_id, cast($as_of as timestamp), min(reason)
            from new_routes
            where decision = 'backordered'
                and order_id not in (select order_id from routing.stock_shortages)
            group by order_id
            """,
            params,
        )
        conn.execute(
            """
            update routing.stock_shortages set cleared_at = cast($as_of as timestamp)
            where cleared_at is null
                and order_id not in (select order_id from new_routes where decision = 'backordered')
            """,
            params,
        )
        conn.execute(CREATE_ALLOCATIONS)
        conn.execute(
            """
            insert into routing.first_allocations (order_id, allocated_at, warehouse_ids)
            select order_id, cast($as_of as timestamp), string_agg(distinct warehouse_id, ', ')
            from new_routes
            where order_id not in (select order_id from routing.first_allocations)
            group by order_id
            having count(*) filter (where decision = 'backordered') = 0
            """,
            params,
        )
        conn.unregister("new_routes")
        open_shortages = conn.execute(
            "select count(*) from routing.stock_shortages where cleared_at is null"
        ).fetchone()[0]

    decisions = routes.group_by("decision").len().to_dicts()
    counts = {d["decision"]: d["len"] for d in decisions}
    if counts.get("backordered"):
        context.log.info(f"{counts['backordered']} order lines backordered: no warehouse has the stock")
    yield MaterializeResult(
        asset_key=ROUTES,
        metadata={"lines_routed": routes.height, **{f"lines_{k}": v for k, v in counts.items()}},
    )
    yield MaterializeResult(asset_key=SHORTAGES, metadata={"open_shortages": open_shortages})
    yield MaterializeResult(asset_key=ALLOCATIONS)
