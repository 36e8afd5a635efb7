"""Royal Mail Click & Drop v1 contract over real HTTP, including idempotent booking."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import requests
from sandbox_testkit import Client, booking_item

from sandbox.stats import orders_missing_booking, world_stats


def test_version_needs_no_auth(client: Client) -> None:
    body = requests.get(f"{client.server.url}/api/v1/version", timeout=10).json()
    assert "releaseDate" in body


def test_unauthorised_requests_get_401(client: Client) -> None:
    assert client.book([booking_item("#1")], key=None).status_code == 401
    assert client.book([booking_item("#1")], key="wrong").status_code == 401
    bare = requests.get(
        f"{client.server.url}/api/v1/orders", headers={"Authorization": "cnd_sandbox_key"}, timeout=10
    )
    assert bare.status_code == 200  # the bare key is accepted too


def test_create_accepted_returns_tracking(client: Client, world: Path) -> None:
    name = orders_missing_booking(world)[0]
    response = client.book([booking_item(name)])
    assert response.status_code == 200
    body = response.json()
    assert body["successCount"] == 1 and body["errorsCount"] == 0 and body["failedOrders"] == []
    (created,) = body["createdOrders"]
    assert isinstance(created["orderIdentifier"], int)
    assert created["orderReference"] == name
    assert created["createdOn"] == "2026-11-04T12:00:00Z"
    assert re.fullmatch(r"RM\d{9}GB", created["trackingNumber"])
    assert created["packages"] == [{"packageNumber": 1, "trackingNumber": created["trackingNumber"]}]
    assert name not in orders_missing_booking(world)
    stats = world_stats(world)["click_and_drop"]
    assert stats["bookings_accepted_api"] == 1 and stats["duplicate_bookings"] == 0


def test_invalid_postcode_is_rejected(client: Client, world: Path) -> None:
    for postcode in ("XX1 1XXX", "N/A", "12345", "SW1A 1AAA"):
        body = client.book([booking_item("#9999", postcode=postcode)]).json()
        assert body["successCount"] == 0 and body["errorsCount"] == 1 and body["createdOrders"] == []
        (failed,) = body["failedOrders"]
        assert failed["order"]["orderReference"] == "#9999"
        (error,) = failed["errors"]
        assert isinstance(error["errorCode"], int)
        assert error["errorMessage"] == "Invalid postcode"
        assert error["fields"] == [{"fieldName": "recipient.address.postcode", "value": postcode}]
    assert world_stats(world)["click_and_drop"]["bookings_rejected"] == 4


def test_missing_required_fields_are_reported(client: Client) -> None:
    item = booking_item("#1", total=None)
    del item["recipient"]["address"]["city"]
    body = client.book([item]).json()
    fields = {f["fieldName"] for e in body["failedOrders"][0]["errors"] for f in e["fields"]}
    assert fields == {"recipient.address.city", "total"}


def test_same_reference_twice_is_idempotent(client: Client, world: Path) -> None:
    name = orders_missing_booking(world)[0]
    first = client.book([booking_item(name)]).json()["createdOrders"][0]
    second = client.book([booking_item(name)]).json()["createdOrders"][0]
    assert (second["orderIdentifier"], second["trackingNumber"]) == (
        first["orderIdentifier"],
        first["trackingNumber"],
    )
    stats = world_stats(world)["click_and_drop"]
    assert stats["idempotent_replays"] == 1
    assert stats["duplicate_bookings"] == 0
    assert stats["bookings_accepted_api"] == 1


def test_two_references_for_one_order_are_a_duplicate(client: Client, world: Path) -> None:
    name = orders_missing_booking(world)[0]
    body = client.book([booking_item(name), booking_item(name.lstrip("#"))]).json()
    identifiers = {c["orderIdentifier"] for c in body["createdOrders"]}
    assert len(identifiers) == 2
    stats = world_stats(world)["click_and_drop"]
    assert stats["duplicate_bookings"] == 1 and stats["idempotent_replays"] == 0
    client.book([booking_item("NOT-AN-ORDER")])
    assert world_stats(world)["click_and_drop"]["unmatched_bookings"] == 1


def test_malformed_bodies_are_400(client: Client) -> None:
    url = f"{client.server.url}/api/v1/orders"
    headers = {"Authorization": "Bearer cnd_sandbox_key", "Content-Type": "application/json"}
    for body in ("{not json", "[]", '{"orders": []}', '{"items": []}'):
        response = requests.post(url, data=body, headers=headers, timeout=10)
        assert response.status_code == 400, body
        assert set(response.json()) >= {"code", "message"}


def test_get_orders_pages_with_continuation_token(client: Client, world: Path) -> None:
    manual = world_stats(world)["click_and_drop"]["bookings_accepted"]
    seen, token, pages = [], None, 0
    while True:
        params = {"pageSize": 10, **({"continuationToken": token} if token else {})}
        body = client.cnd_get("/orders", params).json()
        seen += [o["orderIdentifier"] for o in body["orders"]]
        pages += 1
        token = body.get("continuationToken")
        if not token:
            break
    assert len(seen) == len(set(seen)) == manual and pages == -(-manual // 10)
    assert client.cnd_get("/orders", {"pageSize": 101}).status_code == 400
    assert client.cnd_get("/orders", {"continuationToken": "garbage!"}).status_code == 400
    windowed = client.cnd_get(
        "/orders",
        {"pageSize": 100, "startDateTime": "2026-11-03T00:00:00Z", "endDateTime": "2026-11-03T23:59:59Z"},
    ).json()["orders"]
    assert windowed and all(o["createdOn"].startswith("2026-11-03") for o in windowed)


def test_get_specific_orders_by_identifier_and_reference(client: Client, world: Path) -> None:
    name = orders_missing_booking(world)[0]
    created = client.book([booking_item(name)]).json()["createdOrders"][0]
    by_id = client.cnd_get(f"/orders/{created['orderIdentifier']}").json()
    assert by_id == [created]
    reference = f'"{quote(name, safe="")}"'  # percent-encoded reference in double quotes
    both = client.cnd_get(f"/orders/{reference};{created['orderIdentifier']}").json()
    assert [o["orderIdentifier"] for o in both] == [created["orderIdentifier"]] * 2
    assert client.cnd_get("/orders/424242").status_code == 404
    assert client.cnd_get("/orders/not-a-number").status_code == 400


def test_concurrent_replays_book_once(client: Client, world: Path) -> None:
    name = orders_missing_booking(world)[0]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: client.book([booking_item(name)]).json(), range(8)))
    identifiers = {r["createdOrders"][0]["orderIdentifier"] for r in results}
    assert len(identifiers) == 1
    stats = world_stats(world)["click_and_drop"]
    assert stats["bookings_accepted_api"] == 1 and stats["idempotent_replays"] == 7
