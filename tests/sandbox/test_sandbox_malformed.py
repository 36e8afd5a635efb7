"""`FaultConfig.malformed_every`: records that break their API's documentation, the same ones the same
way on every request, counted per system, over real HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from sandbox_testkit import (
    Client,
    all_stripe_events,
    all_woo_orders,
    make_world,
    rows,
    stripe_get,
    woo_get,
)

from sandbox.cli import build_parser
from sandbox.faults import FaultConfig
from sandbox.query_cost import ThrottleConfig
from sandbox.server import SandboxServer
from sandbox.stats import world_stats

EXPORT = "/api/v2/incremental/tickets/cursor.json"
ZENDESK_AUTH = ("support@sandbox.example/token", "zd_sandbox_token")


@pytest.fixture
def helpdesk_world(tmp_path: Path) -> Path:
    """Ten days: enough tickets to break a few."""
    return make_world(tmp_path / "w", days=10)


def every_third(ids: list[Any]) -> dict[Any, int]:
    """The 3rd, 6th, ... id -> which shape (0, 1, 0, ...) it should have."""
    return {record_id: index % 2 for index, record_id in enumerate(ids[2::3])}


def woo_shape(order: dict[str, Any]) -> int | None:
    if order["date_created_gmt"] == "0000-00-00T00:00:00":
        assert order["total"] != ""
        return 0
    if order["total"] == "":
        return 1
    assert order["date_created_gmt"] and float(order["total"]) >= 0
    return None


def stripe_shape(event: dict[str, Any]) -> int | None:
    if "created" not in event:
        assert event["data"]["object"] is not None
        return 0
    if event["data"]["object"] is None:
        return 1
    assert isinstance(event["created"], int)
    return None


def tickets(server: SandboxServer, **params: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    params = {"start_time": 0, **params}
    while True:
        body = requests.get(f"{server.url}{EXPORT}", params=params, auth=ZENDESK_AUTH, timeout=10).json()
        found += body["tickets"]
        if body["end_of_stream"]:
            return found
        params = {
            "cursor": body["after_cursor"],
            **({"per_page": params["per_page"]} if "per_page" in params else {}),
        }


def ticket_id(ticket: dict[str, Any]) -> int:
    return int(ticket["url"].rsplit("/", 1)[1].removesuffix(".json"))


def zendesk_shape(ticket: dict[str, Any]) -> int | None:
    if ticket["created_at"] == "not-a-date":
        assert ticket["id"] is not None
        return 0
    if ticket["id"] is None:
        return 1
    assert ticket["id"] == ticket_id(ticket) and ticket["created_at"].endswith("Z")
    return None


def test_malformed_records_are_deterministic_per_system(helpdesk_world: Path) -> None:
    woo_ids = [r["id"] for r in rows(helpdesk_world, "SELECT id FROM woo_orders ORDER BY id")]
    event_ids = [r["id"] for r in rows(helpdesk_world, "SELECT id FROM stripe_events ORDER BY seq")]
    ticket_ids = [r["id"] for r in rows(helpdesk_world, "SELECT id FROM zendesk_tickets ORDER BY id")]
    with SandboxServer(helpdesk_world, faults=FaultConfig(malformed_every=3)) as server:
        # WooCommerce: the same orders, the same way, whatever the paging, sort or endpoint.
        listed = {o["id"]: woo_shape(o) for o in all_woo_orders(server)}
        small_pages = {
            o["id"]: woo_shape(o) for o in all_woo_orders(server, per_page=7, orderby="id", order="asc")
        }
        assert listed == small_pages and set(listed) == set(woo_ids)
        woo_broken = {i: s for i, s in listed.items() if s is not None}
        assert woo_broken == every_third(woo_ids) and set(woo_broken.values()) == {0, 1}
        for order_id, shape in list(woo_broken.items())[:3]:
            assert woo_shape(woo_get(server, f"/orders/{order_id}").json()) == shape
        assert woo_shape(woo_get(server, f"/orders/{woo_ids[0]}").json()) is None

        # Stripe events: by creation sequence, in listings and single fetches alike.
        events = all_stripe_events(server)
        assert [stripe_shape(e) for e in events] == [stripe_shape(e) for e in all_stripe_events(server)]
        stripe_broken = {e["id"]: stripe_shape(e) for e in events if stripe_shape(e) is not None}
        expected = {i: s for i, s in every_third(event_ids).items() if i in {e["id"] for e in events}}
        assert stripe_broken == expected and set(stripe_broken.values()) == {0, 1}
        some_event = next(iter(stripe_broken))
        assert stripe_shape(stripe_get(server, f"/events/{some_event}").json()) == stripe_broken[some_event]

        # Zendesk tickets: by id; the export still pages on the real values.
        exported = tickets(server)
        assert [zendesk_shape(t) for t in tickets(server, per_page=5)] == [zendesk_shape(t) for t in exported]
        zendesk_broken = {ticket_id(t): zendesk_shape(t) for t in exported if zendesk_shape(t) is not None}
        expected_tickets = {
            i: s for i, s in every_third(ticket_ids).items() if i in {ticket_id(t) for t in exported}
        }
        assert zendesk_broken == expected_tickets and set(zendesk_broken.values()) == {0, 1}
    served = world_stats(helpdesk_world)["faults"]["malformed_served"]
    assert served == {  # distinct records, however often each was served
        "woocommerce": len(woo_broken),
        "stripe": len(stripe_broken),
        "zendesk": len(zendesk_broken),
        "shopify": 0,  # Shopify is faulted only when named in `systems`
    }
    logged = rows(
        helpdesk_world, "SELECT * FROM malformed_served WHERE system = 'woocommerce' ORDER BY record_id"
    )
    assert {int(r["record_id"]): r["shape"] for r in logged} == {
        i: ("date_created_gmt_zero", "total_empty")[s] for i, s in woo_broken.items()
    }
    with SandboxServer(helpdesk_world, faults=FaultConfig(malformed_every=3)) as again:  # a re-run
        assert {o["id"]: woo_shape(o) for o in all_woo_orders(again)} == listed
    assert world_stats(helpdesk_world)["faults"]["malformed_served"] == served


def test_malformed_is_off_by_default_and_per_system(world: Path) -> None:
    with SandboxServer(world) as server:
        assert all(woo_shape(o) is None for o in all_woo_orders(server))
        assert all(stripe_shape(e) is None for e in all_stripe_events(server))
    assert world_stats(world)["faults"] == {
        "malformed_served": {"woocommerce": 0, "stripe": 0, "zendesk": 0, "shopify": 0}
    }
    with SandboxServer(world, faults=FaultConfig(malformed_every=1, systems=("stripe",))) as server:
        assert all(woo_shape(o) is None for o in all_woo_orders(server))
        assert all(stripe_shape(e) is not None for e in all_stripe_events(server))
    served = world_stats(world)["faults"]["malformed_served"]
    assert served["woocommerce"] == 0 and served["stripe"] == len(rows(world, "SELECT 1 FROM stripe_events"))
    with pytest.raises(ValueError):
        FaultConfig(malformed_every=0)
    args = build_parser().parse_args(["serve", "--fault-malformed-every", "4"])
    assert args.fault_malformed_every == 4


SHOPIFY_PAGE = """
query Page($first: Int!, $after: String, $query: String, $sortKey: OrderSortKeys, $reverse: Boolean) {
  orders(first: $first, after: $after, query: $query, sortKey: $sortKey, reverse: $reverse) {
    nodes { id createdAt totalPriceSet { shopMoney { amount currencyCode } presentmentMoney { amount } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
SHOPIFY_ONE = """
query One($id: ID!) {
  order(id: $id) { id createdAt totalPriceSet { shopMoney { amount } presentmentMoney { amount } } }
}
"""


def shopify_shape(order: dict[str, Any]) -> int | None:
    money = order["totalPriceSet"]
    assert money["presentmentMoney"]["amount"] != ""  # only the shop money is broken
    if order["createdAt"] == "not-a-date":
        assert float(money["shopMoney"]["amount"]) > 0
        return 0
    if money["shopMoney"]["amount"] == "":
        assert order["createdAt"].endswith("Z")
        return 1
    assert order["createdAt"].endswith("Z") and float(money["shopMoney"]["amount"]) > 0
    return None


def shopify_orders(client: Client, first: int = 50, **variables: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    after = None
    while True:
        page = client.data(SHOPIFY_PAGE, {"first": first, "after": after, **variables})["orders"]
        found += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


def test_shopify_orders_are_malformed_the_same_way_everywhere(world: Path) -> None:
    real = rows(world, "SELECT id, created_at, total FROM orders ORDER BY id")
    gids = [f"gid://shopify/Order/{r['id']}" for r in real]
    faults = FaultConfig(malformed_every=3, systems=("shopify",))
    throttle = ThrottleConfig(maximum_available=1_000_000)
    with SandboxServer(world, faults=faults, throttle=throttle) as server:
        client = Client(server)
        listed = {o["id"]: shopify_shape(o) for o in shopify_orders(client)}
        assert set(listed) == set(gids)
        broken = {i: s for i, s in listed.items() if s is not None}
        assert broken == every_third(gids) and set(broken.values()) == {0, 1}

        # Sorting, paging and filters run on the real values, whatever is served.
        by_created = shopify_orders(client, first=7, sortKey="CREATED_AT", reverse=True)
        assert {o["id"]: shopify_shape(o) for o in by_created} == listed
        expected_order = sorted(real, key=lambda r: (r["created_at"], r["id"]), reverse=True)
        assert [o["id"] for o in by_created] == [f"gid://shopify/Order/{r['id']}" for r in expected_order]
        by_total = [o["id"] for o in shopify_orders(client, sortKey="TOTAL_PRICE")]
        expected_total = sorted(real, key=lambda r: (int(r["total"].replace(".", "")), r["id"]))
        assert by_total == [f"gid://shopify/Order/{r['id']}" for r in expected_total]
        bad_date = next(i for i, s in broken.items() if s == 0)
        created = next(r["created_at"] for r in real if f"gid://shopify/Order/{r['id']}" == bad_date)
        same_moment = shopify_orders(client, query=f"created_at:>='{created}' created_at:<='{created}'")
        assert bad_date in [o["id"] for o in same_moment]

        # A single fetch serves the same order the same way.
        for order_id, shape in list(broken.items())[:4]:
            assert shopify_shape(client.data(SHOPIFY_ONE, {"id": order_id})["order"]) == shape
        assert shopify_shape(client.data(SHOPIFY_ONE, {"id": gids[0]})["order"]) is None
        # Fields a query does not select cannot show it; the answer stays valid GraphQL.
        names = client.data("{ orders(first: 5) { nodes { id name } } }")["orders"]["nodes"]
        assert len(names) == 5
    served = world_stats(world)["faults"]["malformed_served"]
    assert served == {"woocommerce": 0, "stripe": 0, "zendesk": 0, "shopify": len(broken)}
    logged = rows(world, "SELECT * FROM malformed_served WHERE system = 'shopify'")
    assert {r["record_id"]: r["shape"] for r in logged} == {
        i: ("created_at_invalid", "total_amount_empty")[s] for i, s in broken.items()
    }
    with SandboxServer(world, throttle=throttle) as clean:  # off again: nothing is broken
        assert all(shopify_shape(o) is None for o in shopify_orders(Client(clean)))
    args = build_parser().parse_args(["serve", "--fault-malformed-every", "4", "--fault-systems", "shopify"])
    assert (args.fault_malformed_every, args.fault_systems) == (4, "shopify")
