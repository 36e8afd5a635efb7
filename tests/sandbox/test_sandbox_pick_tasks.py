"""The 3PL's pick-task API: validation, idempotency, one release per order, and the warehouses
picking a released order where its task says."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import requests
from sandbox_testkit import Client, booking_item, rows

from sandbox.clock import advance
from sandbox.stats import world_stats
from sandbox.warehouses import primary_warehouse

THREE_PL_KEY = "tpl_sandbox_key"
PDF = base64.b64encode(b"%PDF-1.4\n% a tiny document\n%%EOF\n").decode()


def _waiting_orders(world: Path) -> list[Any]:
    """Paid, open, valid-address Shopify orders with no label yet: the pipeline's to ship."""
    return rows(
        world,
        "SELECT id, name, ship_zip FROM orders WHERE financial_status = 'PAID' AND cancelled_at IS NULL"
        " AND address_valid = 1 AND fulfillment_status = 'UNFULFILLED' ORDER BY number",
    )


def _order(world: Path, order: Any, location: str = "A01") -> dict[str, Any]:
    lines = rows(world, "SELECT sku, quantity FROM line_items WHERE order_id = ? ORDER BY id", (order["id"],))
    return {
        "order_reference": order["name"],
        "lines": [{"sku": r["sku"], "quantity": r["quantity"], "location": location} for r in lines],
        "packing_slip_pdf": PDF,
    }


def _batch(reference: str, *orders: dict[str, Any]) -> dict[str, Any]:
    return {"batch_reference": reference, "pick_list_pdf": PDF, "orders": list(orders)}


def _post(
    client: Client, warehouse: str, body: Any, key: str | None = "key-1", api_key: str = THREE_PL_KEY
) -> requests.Response:
    headers = {"Authorization": f"Bearer {api_key}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.session.post(
        f"{client.server.url}/3pl/v1/warehouses/{warehouse}/pick-batches", json=body, headers=headers,
        timeout=10,
    )


def _error(response: requests.Response) -> dict[str, Any]:
    return response.json()["error"]


def test_a_batch_is_released_and_can_be_read_back(client: Client, world: Path) -> None:
    first, second = _waiting_orders(world)[:2]
    response = _post(client, "leeds", _batch("PB-1", _order(world, first), _order(world, second)))
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["released"], body["not_released"]) == (2, 0)
    assert [o["outcome"] for o in body["orders"]] == ["released", "released"]

    read = client.session.get(
        f"{client.server.url}/3pl/v1/warehouses/leeds/pick-batches/PB-1",
        headers={"Authorization": f"Bearer {THREE_PL_KEY}"}, timeout=10,
    )
    assert read.status_code == 200
    documents = read.json()["documents"]
    assert base64.b64decode(documents["pick_list_pdf"]).startswith(b"%PDF-")
    assert sorted(documents["packing_slips"]) == sorted([first["name"], second["name"]])
    stats = world_stats(world)["pick_tasks"]
    assert (stats["batches_received"], stats["orders_released"]) == (1, 2)
    assert stats["orders_released_by_warehouse"] == {"leeds": 2}


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        (lambda b: b.update(orders=[]), 422, "invalid_batch"),
        (lambda b: b.pop("batch_reference"), 422, "invalid_batch"),
        (lambda b: b.pop("pick_list_pdf"), 422, "missing_document"),
        (lambda b: b.update(pick_list_pdf=base64.b64encode(b"<html>").decode()), 422, "not_a_pdf"),
        (lambda b: b["orders"][0].update(order_reference="#999999"), 422, "unknown_order"),
        (lambda b: b["orders"][0].update(lines=[]), 422, "invalid_lines"),
        (lambda b: b["orders"][0]["lines"][0].update(sku="NOT-A-SKU"), 422, "invalid_lines"),
        (lambda b: b["orders"][0]["lines"][0].update(quantity=0), 422, "invalid_lines"),
        (lambda b: b["orders"][0]["lines"][0].update(location=""), 422, "invalid_lines"),
        (lambda b: b["orders"][0].update(packing_slip_pdf=None), 422, "missing_document"),
        (lambda b: b["orders"][0].update(packing_slip_pdf="not base64!"), 422, "not_a_pdf"),
    ],
)
def test_bad_batches_are_refused_with_a_clear_error(
    client: Client, world: Path, change, status: int, code: str
) -> None:
    body = _batch("PB-BAD", _order(world, _waiting_orders(world)[0]))
    change(body)
    response = _post(client, "leeds", body)
    assert response.status_code == status, response.text
    assert _error(response)["code"] == code
    assert _error(response)["message"]
    assert world_stats(world)["pick_tasks"]["orders_released"] == 0


def test_an_order_at_fault_is_named(client: Client, world: Path) -> None:
    body = _batch("PB-BAD", {**_order(world, _waiting_orders(world)[0]), "order_reference": "#999999"})
    error = _error(_post(client, "leeds", body))
    assert error["order_reference"] == "#999999" and "#999999" in error["message"]


def test_credentials_key_and_warehouse_are_checked(client: Client, world: Path) -> None:
    body = _batch("PB-1", _order(world, _waiting_orders(world)[0]))
    assert _post(client, "leeds", body, api_key="wrong").status_code == 401
    assert _post(client, "leeds", body, key=None).status_code == 400
    unknown = _post(client, "glasgow", body)
    assert (unknown.status_code, _error(unknown)["code"]) == (404, "unknown_warehouse")


def test_the_same_key_and_body_replay_the_original_answer(client: Client, world: Path) -> None:
    body = _batch("PB-1", _order(world, _waiting_orders(world)[0]))
    first = _post(client, "leeds", body)
    again = _post(client, "leeds", body)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    stats = world_stats(world)["pick_tasks"]
    assert (stats["batches_received"], stats["orders_released"], stats["idempotent_replays"]) == (1, 1, 1)


def test_the_same_key_with_another_body_or_warehouse_is_refused(client: Client, world: Path) -> None:
    first, second = _waiting_orders(world)[:2]
    _post(client, "leeds", _batch("PB-1", _order(world, first)))
    other_body = _post(client, "leeds", _batch("PB-1", _order(world, second)))
    other_site = _post(client, "bristol", _batch("PB-1", _order(world, first)))
    for response in (other_body, other_site):
        assert (response.status_code, _error(response)["code"]) == (409, "idempotency_key_reused")
    reused_reference = _post(client, "leeds", _batch("PB-1", _order(world, second)), key="key-2")
    assert (reused_reference.status_code, _error(reused_reference)["code"]) == (409, "batch_reference_exists")
    stats = world_stats(world)["pick_tasks"]
    assert (stats["orders_released"], stats["idempotency_mismatches"]) == (1, 2)


def test_an_order_released_in_another_batch_is_not_released_twice(client: Client, world: Path) -> None:
    first, second = _waiting_orders(world)[:2]
    _post(client, "leeds", _batch("PB-1", _order(world, first)))
    both = _batch("PB-2", _order(world, first), _order(world, second))
    response = _post(client, "bristol", both, key="key-2")
    assert response.status_code == 201
    outcomes = {o["order_reference"]: (o["outcome"], o["batch_reference"]) for o in response.json()["orders"]}
    assert outcomes == {first["name"]: ("already_released", "PB-1"), second["name"]: ("released", "PB-2")}
    stats = world_stats(world)["pick_tasks"]
    assert (stats["orders_released"], stats["duplicate_orders_ignored"]) == (2, 1)
    assert stats["orders_released_by_warehouse"] == {"bristol": 1, "leeds": 1}


def test_an_order_the_warehouse_already_picked_is_not_released(client: Client, world: Path) -> None:
    picked = rows(
        world,
        "SELECT o.id, o.name FROM orders o JOIN warehouse_events e ON e.order_reference = o.name"
        " WHERE e.event = 'pick_started' ORDER BY o.number LIMIT 1",
    )[0]
    response = _post(client, "leeds", _batch("PB-1", _order(world, picked)))
    assert response.json()["orders"][0]["outcome"] == "already_picked"
    assert world_stats(world)["pick_tasks"]["orders_released"] == 0


def test_a_released_order_is_picked_at_the_task_warehouse_after_the_task(client: Client, world: Path) -> None:
    """Routing is the merchant's: the task's site picks the order, even if the 3PL would pick it elsewhere."""
    order = _waiting_orders(world)[0]
    other = "leeds" if primary_warehouse(order["ship_zip"]) == "bristol" else "bristol"
    released = _post(client, other, _batch("PB-1", _order(world, order)))
    assert released.json()["orders"][0]["outcome"] == "released"
    assert client.book([booking_item(order["name"], postcode=order["ship_zip"])]).status_code == 200

    advance(world, 30)

    events = rows(
        world, "SELECT warehouse, event, occurred_at FROM warehouse_events WHERE order_reference = ?"
        " ORDER BY id", (order["name"],),
    )
    assert [e["event"] for e in events][:2] == ["pick_started", "packed"]
    assert {e["warehouse"] for e in events} == {other}
    task = rows(world, "SELECT released_at FROM pick_tasks WHERE order_reference = ?", (order["name"],))[0]
    assert events[0]["occurred_at"] >= task["released_at"]
    picked_from = rows(
        world,
        "SELECT DISTINCT warehouse FROM stock_moves WHERE kind = 'pick' AND reference = ?",
        (order["name"],),
    )
    assert [r["warehouse"] for r in picked_from] == [other]
