"""WooCommerce products and their stock over real HTTP: SKU lookup (variations included), the
variation endpoint that takes stock updates, WooCommerce's refusals, faults, the log and stats."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
from sandbox_testkit import WOO_AUTH, all_woo_orders, woo_get

from sandbox.faults import FaultConfig
from sandbox.request_log import requests_seen
from sandbox.server import SandboxServer
from sandbox.stats import world_stats


def woo_put(
    server: SandboxServer, path: str, body: Any, auth: tuple[str, str] = WOO_AUTH
) -> requests.Response:
    return requests.put(f"{server.url}/wp-json/wc/v3{path}", json=body, auth=auth, timeout=10)


def by_sku(server: SandboxServer, sku: str) -> dict[str, Any]:
    response = woo_get(server, "/products", {"sku": sku})
    assert response.status_code == 200, response.text
    (product,) = response.json()
    return dict(product)


def test_products_list_and_sku_lookup(shared_world: Path) -> None:
    with SandboxServer(shared_world) as server:
        first = woo_get(server, "/products", {"per_page": 5})
        assert first.status_code == 200
        assert first.headers["X-WP-Total"] == "20" and first.headers["X-WP-TotalPages"] == "4"
        assert 'rel="next"' in first.headers["Link"]
        parents = first.json()
        assert all(p["type"] == "variable" and len(p["variations"]) == 2 for p in parents)
        assert [p["id"] for p in parents] == sorted((p["id"] for p in parents), reverse=True)  # date desc
        mug = by_sku(server, "OL-MUG-SGE")
        assert mug["type"] == "variation" and mug["sku"] == "OL-MUG-SGE"
        assert mug["name"] == "Stoneware Mug - Sage"
        assert (mug["manage_stock"], mug["stock_quantity"], mug["stock_status"]) == (False, None, "instock")
        parent = woo_get(server, f"/products/{mug['parent_id']}").json()
        assert mug["id"] in parent["variations"] and parent["name"] == "Stoneware Mug"
        assert woo_get(server, f"/products/{mug['id']}").json()["sku"] == "OL-MUG-SGE"
        # The ids are the ones the channel's orders carry.
        lines = [li for o in all_woo_orders(server) for li in o["line_items"] if li["sku"] == "OL-MUG-SGE"]
        ids = {(li["product_id"], li["variation_id"]) for li in lines}
        assert lines and ids == {(mug["parent_id"], mug["id"])}
        two = woo_get(server, "/products", {"sku": "OL-MUG-SGE,OL-PEN-CHR"}).json()
        assert {p["sku"] for p in two} == {"OL-MUG-SGE", "OL-PEN-CHR"}
        assert woo_get(server, "/products", {"sku": "NOPE"}).json() == []
        assert woo_get(server, "/products/99999").json()["code"] == "woocommerce_rest_product_invalid_id"
        bad = woo_get(server, "/products", {"per_page": 500})
        assert bad.status_code == 400 and bad.json()["code"] == "rest_invalid_param"


def test_stock_is_set_through_the_variation_endpoint(world: Path) -> None:
    with SandboxServer(world) as server:
        mug = by_sku(server, "OL-MUG-SGE")
        refused = woo_put(server, f"/products/{mug['id']}", {"stock_quantity": 7, "manage_stock": True})
        assert refused.status_code == 404
        assert refused.json() == {
            "code": "woocommerce_rest_invalid_product_id",
            "message": "To manipulate product variations you should use the"
            " /products/&lt;product_id&gt;/variations/&lt;id&gt; endpoint.",
            "data": {"status": 404},
        }
        path = f"/products/{mug['parent_id']}/variations/{mug['id']}"
        updated = woo_put(server, path, {"stock_quantity": 7, "manage_stock": True})
        assert updated.status_code == 200, updated.text
        body = updated.json()
        assert (body["id"], body["manage_stock"], body["stock_quantity"], body["stock_status"]) == (
            mug["id"], True, 7, "instock"
        )  # fmt: skip
        assert body["date_modified_gmt"] == "2026-11-04T12:00:00"  # the world clock
        again = by_sku(server, "OL-MUG-SGE")
        assert (again["manage_stock"], again["stock_quantity"]) == (True, 7)
        empty = woo_put(server, path, {"stock_quantity": "0"}).json()
        assert (empty["stock_quantity"], empty["stock_status"]) == (0, "outofstock")
        unmanaged = woo_put(server, path, {"manage_stock": False, "stock_quantity": 3}).json()
        assert (unmanaged["manage_stock"], unmanaged["stock_quantity"]) == (False, None)  # cleared on save
        listed = woo_get(server, f"/products/{mug['parent_id']}/variations", {"sku": "OL-MUG-SGE"}).json()
        assert [v["id"] for v in listed] == [mug["id"]]
        other = by_sku(server, "OL-PEN-CHR")
        elsewhere = f"/products/{other['parent_id']}/variations/{mug['id']}"
        wrong_parent = woo_put(server, elsewhere, {"stock_quantity": 1})
        assert wrong_parent.status_code == 400
        assert wrong_parent.json()["code"] == "woocommerce_rest_product_variation_invalid_id"
        assert woo_put(server, "/products/99999", {"stock_quantity": 1}).status_code == 400
    stats = world_stats(world)["channel_stock"]["woocommerce"]
    assert stats == {"pushes": 3, "stock_quantity": {"OL-MUG-SGE": None}}


def test_parent_stock_and_update_refusals(world: Path) -> None:
    with SandboxServer(world) as server:
        mug = by_sku(server, "OL-MUG-SGE")
        product = f"/products/{mug['parent_id']}"
        variation_path = f"{product}/variations/{mug['id']}"
        parent = woo_put(server, product, {"manage_stock": True, "stock_quantity": 12})
        assert parent.status_code == 200 and parent.json()["stock_quantity"] == 12
        variation = woo_get(server, variation_path).json()
        assert (variation["manage_stock"], variation["stock_quantity"]) == ("parent", 12)
        invalid = woo_put(server, variation_path, {"stock_quantity": 1.5})
        assert invalid.status_code == 400
        message = "stock_quantity is not of type integer."
        assert invalid.json()["data"]["params"] == {"stock_quantity": message}
        broken = requests.put(
            f"{server.url}/wp-json/wc/v3/products/{mug['parent_id']}",
            data="{not json",
            headers={"Content-Type": "application/json"},
            auth=WOO_AUTH,
            timeout=10,
        )
        assert broken.status_code == 400 and broken.json()["code"] == "rest_invalid_json"
        secret = woo_put(server, product, {"stock_quantity": 1}, auth=("ck_sandbox", "x"))
        assert secret.status_code == 401 and secret.json()["code"] == "woocommerce_rest_authentication_error"
        stranger = woo_put(server, product, {"stock_quantity": 1}, auth=("ck_x", "cs_x"))
        assert stranger.status_code == 401 and stranger.json()["code"] == "woocommerce_rest_cannot_edit"
        assert woo_get(server, "/products", auth=None).status_code == 401
    assert world_stats(world)["channel_stock"]["woocommerce"]["pushes"] == 1


def test_stock_updates_are_faulted_and_logged(world: Path) -> None:
    with SandboxServer(world, faults=FaultConfig(fail_every=2)) as server:  # WooCommerce: a default system
        mug = by_sku(server, "OL-MUG-SGE")
        path = f"/products/{mug['parent_id']}/variations/{mug['id']}"
        failed = woo_put(server, path, {"stock_quantity": 4})
        assert failed.status_code == 503 and failed.headers["content-type"].startswith("text/html")
        assert by_sku(server, "OL-MUG-SGE")["stock_quantity"] is None  # not applied
    seen = requests_seen(world, "woocommerce")
    assert [(r["method"], r["status"]) for r in seen] == [("GET", 200), ("PUT", 503), ("GET", 200)]
    assert seen[1]["path"] == f"/wp-json/wc/v3{path}"
