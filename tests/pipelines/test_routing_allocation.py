"""Sequential allocation rules: whole orders first, split only when needed, backorders, express first."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from orderloop.rule_sets import PriorityRules, RoutingRules
from pipelines.routing.allocation import route_orders

RULES = RoutingRules(
    version="routing-test", effective_from=datetime(2026, 1, 1, tzinfo=UTC), description="test rules",
    prefer_cutoff_ahead=True,
)
EXPRESS_FIRST = PriorityRules(
    version="priorities-test", effective_from=datetime(2026, 1, 1, tzinfo=UTC), description="test priorities",
    express_first=True,
)

WINDOWS = pl.DataFrame(
    {
        "warehouse_id": ["leeds", "bristol", "leeds", "bristol"],
        "service_code": ["TPN24", "TPN24", "TPN48", "TPN48"],
        "cutoff_ahead": [False, True, False, True],
        "routing_priority": [1, 2, 1, 2],
    }
)


def _orders(*rows: tuple[str, bool, int]) -> pl.DataFrame:
    """(order_id, is_express, minute the payment was secured)."""
    return pl.DataFrame(
        {
            "order_id": [r[0] for r in rows],
            "service_code": ["TPN24" if r[1] else "TPN48" for r in rows],
            "is_express": [r[1] for r in rows],
            "payment_secured_at": [datetime(2026, 11, 20, 9, r[2]) for r in rows],
        }
    )


def _lines(*rows: tuple[str, str, int]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "order_id": [r[0] for r in rows],
            "line_id": [f"{r[0]}-{i}" for i, r in enumerate(rows)],
            "sku": [r[1] for r in rows],
            "quantity": [r[2] for r in rows],
        }
    )


def _stock(**by_warehouse: dict[str, int]) -> pl.DataFrame:
    rows = [(w, sku, n) for w, skus in by_warehouse.items() for sku, n in skus.items()]
    return pl.DataFrame(
        {"warehouse_id": [r[0] for r in rows], "sku": [r[1] for r in rows], "on_hand": [r[2] for r in rows]}
    )


def _by_line(routes: pl.DataFrame) -> dict[str, tuple[str | None, str]]:
    return {r["line_id"]: (r["warehouse_id"], r["decision"]) for r in routes.iter_rows(named=True)}


def test_one_warehouse_that_makes_its_cut_off_is_preferred():
    routes = route_orders(
        _orders(("a", False, 0)), _lines(("a", "MUG", 1), ("a", "PEN", 1)),
        _stock(leeds={"MUG": 5, "PEN": 5}, bristol={"MUG": 5, "PEN": 5}), WINDOWS, RULES, EXPRESS_FIRST,
    )
    assert _by_line(routes) == {
        "a-0": ("bristol", "single_warehouse"), "a-1": ("bristol", "single_warehouse")
    }
    assert routes["rule_version"].unique().to_list() == ["routing-test"]
    assert "cut-off still ahead" in routes["reason"][0]


def test_a_warehouse_with_the_whole_order_beats_a_split():
    routes = route_orders(
        _orders(("a", False, 0)), _lines(("a", "MUG", 1), ("a", "PEN", 1)),
        _stock(leeds={"MUG": 5, "PEN": 5}, bristol={"MUG": 5}), WINDOWS, RULES, EXPRESS_FIRST,
    )
    assert set(routes["warehouse_id"]) == {"leeds"}


def test_split_only_when_no_warehouse_has_everything():
    routes = route_orders(
        _orders(("a", False, 0)), _lines(("a", "MUG", 1), ("a", "PEN", 1)),
        _stock(leeds={"PEN": 5}, bristol={"MUG": 5}), WINDOWS, RULES, EXPRESS_FIRST,
    )
    assert _by_line(routes) == {"a-0": ("bristol", "split"), "a-1": ("leeds", "split")}


def test_a_line_nobody_has_is_backordered_with_what_is_missing():
    routes = route_orders(
        _orders(("a", False, 0)), _lines(("a", "MUG", 3), ("a", "PEN", 1)),
        _stock(leeds={"MUG": 1, "PEN": 5}, bristol={"MUG": 2}), WINDOWS, RULES, EXPRESS_FIRST,
    )
    assert _by_line(routes) == {"a-0": (None, "backordered"), "a-1": ("leeds", "single_warehouse")}
    backordered = routes.filter(pl.col("decision") == "backordered").row(0, named=True)
    assert backordered["reason"] == "needs 3 of MUG; in stock: bristol 2, leeds 1"
    assert backordered["home_warehouse_id"] == "bristol"


def test_stock_is_used_up_in_order_express_first():
    """Two orders want the last mug: the express one gets it even though it paid later."""
    routes = route_orders(
        _orders(("slow", False, 0), ("fast", True, 30)), _lines(("slow", "MUG", 1), ("fast", "MUG", 1)),
        _stock(leeds={"MUG": 1}), WINDOWS, RULES, EXPRESS_FIRST,
    )
    assert _by_line(routes) == {"fast-1": ("leeds", "single_warehouse"), "slow-0": (None, "backordered")}


def test_earlier_payment_wins_among_equals():
    routes = route_orders(
        _orders(("late", False, 30), ("early", False, 0)), _lines(("late", "MUG", 1), ("early", "MUG", 1)),
        _stock(leeds={"MUG": 1}), WINDOWS, RULES, EXPRESS_FIRST,
    )
    assert _by_line(routes)["early-1"] == ("leeds", "single_warehouse")
    assert _by_line(routes)["late-0"] == (None, "backordered")


def test_without_express_first_the_earlier_payment_gets_the_last_unit():
    """A rule change flips the decision: the same data under other rules routes differently."""
    fifo = EXPRESS_FIRST.model_copy(update={"version": "priorities-fifo", "express_first": False})
    routes = route_orders(
        _orders(("slow", False, 0), ("fast", True, 30)), _lines(("slow", "MUG", 1), ("fast", "MUG", 1)),
        _stock(leeds={"MUG": 1}), WINDOWS, RULES, fifo,
    )
    assert _by_line(routes) == {"slow-0": ("leeds", "single_warehouse"), "fast-1": (None, "backordered")}
