"""WooCommerce REST API v3 contract over real HTTP: auth, paging, filters, notes and refunds."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from sandbox_testkit import NOW, WOO_AUTH, all_woo_orders, woo_get

from sandbox.server import SandboxServer
from sandbox.stats import world_stats
from sandbox.woo_resources import woo_dates
from sandbox.woocommerce import filter_instant

MONEY = re.compile(r"^-?\d+\.\d{2}$")
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")
LINK = re.compile(r'<([^>]+)>; rel="(\w+)"')


@pytest.fixture(scope="module")
def server(shared_world: Path) -> Iterator[SandboxServer]:
    with SandboxServer(shared_world) as running:
        yield running


@pytest.fixture(scope="module")
def orders(server: SandboxServer) -> list[dict]:
    return all_woo_orders(server)


def test_auth_is_required(server: SandboxServer) -> None:
    for auth in (None, ("ck_other", "cs_sandbox")):
        response = woo_get(server, "/orders", auth=auth)
        assert response.status_code == 401
        assert response.json() == {
            "code": "woocommerce_rest_cannot_view",
            "message": "Sorry, you cannot list resources.",
            "data": {"status": 401},
        }
    wrong_secret = woo_get(server, "/orders", auth=("ck_sandbox", "nope"))
    assert wrong_secret.status_code == 401
    assert wrong_secret.json()["code"] == "woocommerce_rest_authentication_error"
    single = woo_get(server, "/orders/1", auth=None)
    assert single.status_code == 401 and single.json()["message"] == "Sorry, you cannot view this resource."
    by_query = woo_get(
        server, "/orders", {"consumer_key": WOO_AUTH[0], "consumer_secret": WOO_AUTH[1]}, auth=None
    )
    assert by_query.status_code == 200


def test_page_walk_covers_every_order_once(server: SandboxServer, shared_world: Path) -> None:
    total = world_stats(shared_world)["woocommerce"]["orders_total"]
    assert total > 20
    seen: list[dict] = []
    url, params, pages = f"{server.url}/wp-json/wc/v3/orders", {"per_page": 7}, 0
    while url:
        response = requests.get(url, params=params, auth=WOO_AUTH, timeout=10)
        assert response.status_code == 200
        assert int(response.headers["X-WP-Total"]) == total
        assert int(response.headers["X-WP-TotalPages"]) == -(-total // 7)
        links = dict((rel, href) for href, rel in LINK.findall(response.headers.get("Link", "")))
        pages += 1
        assert ("prev" in links) == (pages > 1)
        seen += response.json()
        url, params = links.get("next"), None  # the next link carries per_page and page itself
    ids = [o["id"] for o in seen]
    assert pages == -(-total // 7) and len(ids) == len(set(ids)) == total
    created = [o["date_created_gmt"] for o in seen]
    assert created == sorted(created, reverse=True)  # default orderby=date, order=desc
    beyond = woo_get(server, "/orders", {"per_page": 7, "page": pages + 1})
    assert beyond.status_code == 200 and beyond.json() == []
    ascending = woo_get(server, "/orders", {"per_page": 5, "orderby": "id", "order": "asc"}).json()
    assert [o["id"] for o in ascending] == sorted(ids)[:5]


def test_per_page_over_100_is_rejected(server: SandboxServer) -> None:
    response = woo_get(server, "/orders", {"per_page": 101})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "rest_invalid_param" and body["data"]["status"] == 400
    assert body["message"] == "Invalid parameter(s): per_page"
    assert body["data"]["params"] == {
        "per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"
    }
    for params in (
        {"page": 0},
        {"orderby": "total"},
        {"modified_after": "last tuesday"},
        {"status": "shipped"},
    ):
        assert woo_get(server, "/orders", params).status_code == 400, params


def test_modified_after_filter(server: SandboxServer, orders: list[dict]) -> None:
    modified = sorted(o["date_modified_gmt"] for o in orders)
    cutoff = modified[len(modified) // 2]
    expected = {o["id"] for o in orders if o["date_modified_gmt"] > cutoff}  # strictly after
    assert expected and len(expected) < len(orders)
    for params in (
        {"modified_after": f"{cutoff}Z"},
        {"modified_after": cutoff, "dates_are_gmt": "true"},
        {"modified_after": f"{cutoff}+00:00", "dates_are_gmt": "false"},
    ):
        got = all_woo_orders(server, **params)
        assert {o["id"] for o in got} == expected, params
    window = all_woo_orders(server, modified_after=f"{modified[0]}Z", modified_before=f"{cutoff}Z")
    assert all(modified[0] < o["date_modified_gmt"] < cutoff for o in window)
    created_cut = sorted(o["date_created_gmt"] for o in orders)[len(orders) // 3]
    after = all_woo_orders(server, after=f"{created_cut}Z")
    assert {o["id"] for o in after} == {o["id"] for o in orders if o["date_created_gmt"] > created_cut}


def test_shop_timezone_rules() -> None:
    assert woo_dates("2026-07-01T12:00:00Z") == ("2026-07-01T13:00:00", "2026-07-01T12:00:00")  # BST
    assert woo_dates("2026-11-04T12:00:00Z") == ("2026-11-04T12:00:00", "2026-11-04T12:00:00")  # GMT
    assert filter_instant("2026-07-01T13:00:00", gmt=False) == "2026-07-01T12:00:00Z"  # naive = shop time
    assert filter_instant("2026-07-01T13:00:00", gmt=True) == "2026-07-01T13:00:00Z"
    assert filter_instant("2026-07-01T13:00:00+02:00", gmt=False) == "2026-07-01T11:00:00Z"


def test_status_filter(server: SandboxServer, orders: list[dict], shared_world: Path) -> None:
    by_status = world_stats(shared_world)["woocommerce"]["orders_by_status"]
    assert {o["status"] for o in orders} == set(by_status)
    assert {"completed", "processing", "cancelled", "failed"} <= set(by_status)
    completed = all_woo_orders(server, status="completed")
    assert len(completed) == by_status["completed"] and {o["status"] for o in completed} == {"completed"}
    mixed = all_woo_orders(server, status="cancelled,failed")
    assert len(mixed) == by_status["cancelled"] + by_status["failed"]
    assert len(all_woo_orders(server, status="any")) == len(orders)


def test_order_shape(server: SandboxServer, orders: list[dict]) -> None:
    for order in orders:
        for key in ("discount_total", "shipping_total", "total", "total_tax"):
            assert MONEY.match(order[key]), (key, order[key])
        assert STAMP.match(order["date_created"]) and STAMP.match(order["date_modified_gmt"])
        assert order["number"] == str(order["id"]) and order["parent_id"] == 0
        assert order["payment_method"] == "stripe" and order["currency"] == "GBP"
        assert set(order["billing"]) == {
            "first_name", "last_name", "company", "address_1", "address_2", "city", "state", "postcode",
            "country", "email", "phone",
        }  # fmt: skip
        assert "email" not in order["shipping"] and "phone" in order["shipping"]
        lines = order["line_items"]
        assert lines and all(item["sku"].startswith("OL-") and item["quantity"] >= 1 for item in lines)
        line_total = sum(Decimal(i["total"]) for i in lines)
        assert line_total + Decimal(order["shipping_total"]) == Decimal(order["total"])
        assert sum(Decimal(i["subtotal"]) - Decimal(i["total"]) for i in lines) == Decimal(
            order["discount_total"]
        )
        assert all(isinstance(i["price"], int | float) for i in lines)
        paid = order["status"] in ("processing", "completed", "refunded")
        assert (order["date_paid_gmt"] is not None) == paid
        if order["status"] == "completed":
            assert order["date_completed_gmt"] is not None
        elif order["status"] != "refunded":  # a return is refunded after it was completed
            assert order["date_completed_gmt"] is None
        if paid:
            assert order["transaction_id"].startswith("ch_")
            meta = {m["key"]: m["value"] for m in order["meta_data"]}
            assert meta["_stripe_intent_id"].startswith("pi_") and meta["_stripe_charge_captured"] == "yes"
    sample = orders[3]
    single = woo_get(server, f"/orders/{sample['id']}")
    assert single.status_code == 200 and single.json() == sample
    missing = woo_get(server, "/orders/1")
    assert missing.status_code == 404 and missing.json()["code"] == "woocommerce_rest_shop_order_invalid_id"
    assert woo_get(server, "/products/1/nothing").json()["code"] == "rest_no_route"


def test_completed_means_despatched_by_hand_before_the_last_day(orders: list[dict]) -> None:
    cutoff = (NOW - timedelta(hours=24)).strftime("%Y-%m-%dT%H:%M:%S")
    now = NOW.strftime("%Y-%m-%dT%H:%M:%S")
    completed = [o for o in orders if o["status"] == "completed"]
    assert completed
    for order in completed:
        assert order["date_created_gmt"] < cutoff
        assert order["date_paid_gmt"] < order["date_completed_gmt"] <= now
    recent_paid = [o for o in orders if o["date_created_gmt"] >= cutoff and o["date_paid_gmt"]]
    assert recent_paid and all(o["status"] in ("processing", "refunded") for o in recent_paid)


def test_refunds_and_notes(server: SandboxServer, orders: list[dict]) -> None:
    refunded = [o for o in orders if o["refunds"]]
    assert refunded, "seed 7 has refunds in five days"
    for order in refunded:
        response = woo_get(server, f"/orders/{order['id']}/refunds")
        assert response.status_code == 200 and int(response.headers["X-WP-Total"]) == len(order["refunds"])
        refunds = response.json()
        assert [r["id"] for r in refunds] == [r["id"] for r in order["refunds"]]
        for summary, refund in zip(order["refunds"], refunds, strict=True):
            assert summary["total"] == f"-{refund['amount']}" and summary["reason"] == refund["reason"]
            assert STAMP.match(refund["date_created_gmt"]) and refund["refunded_payment"] is True
            assert all(
                item["quantity"] < 0 and item["total"].startswith("-") for item in refund["line_items"]
            )
            single = woo_get(server, f"/orders/{order['id']}/refunds/{refund['id']}").json()
            assert single == refund
        refunded_total = sum(Decimal(r["amount"]) for r in refunds)
        assert (refunded_total == Decimal(order["total"])) == (order["status"] == "refunded")

    order = refunded[0]
    notes = woo_get(server, f"/orders/{order['id']}/notes").json()
    assert notes and set(notes[0]) == {
        "id",
        "author",
        "date_created",
        "date_created_gmt",
        "note",
        "customer_note",
        "_links",
    }
    stamps = [(n["date_created_gmt"], n["id"]) for n in notes]
    assert stamps == sorted(stamps, reverse=True)  # newest first
    assert any(n["note"].startswith("Refunded &pound;") for n in notes)
    assert any("Order status changed from" in n["note"] for n in notes)

    customer_notes = [
        n for o in orders for n in woo_get(server, f"/orders/{o['id']}/notes", {"type": "customer"}).json()
    ]
    assert customer_notes and all(n["customer_note"] is True for n in customer_notes)
    internal = woo_get(server, f"/orders/{order['id']}/notes", {"type": "internal"}).json()
    assert internal and all(n["customer_note"] is False for n in internal)
    assert woo_get(server, "/orders/1/notes").status_code == 404
    assert woo_get(server, "/orders/1/refunds").json()["code"] == "woocommerce_rest_order_invalid_id"
