"""Stock sync against the sandbox's Shopify inventory and WooCommerce products: each change
is pushed once, an unchanged quantity is not pushed again, and a push that landed before a
crash is not repeated."""

from __future__ import annotations

import duckdb
import pytest

from connectors.shopify.inventory import ShopifyInventory
from connectors.woocommerce.products import WooCommerceProducts
from orderloop.sandbox_mode import sources_pointing_at
from pipelines.actions.stock_channels import ShopifyStock, WooCommerceStock
from pipelines.actions.stock_ledger import StockPushLedger, stock_push_key
from pipelines.actions.stock_sync import sync_stock
from sandbox.faults import FaultConfig
from sandbox.server import SandboxServer
from sandbox.stats import world_stats

QUEUE = [
    {"channel": "shopify", "sku": "OL-MUG-SGE", "location": "leeds", "quantity": 7},
    {"channel": "shopify", "sku": "OL-MUG-SGE", "location": "bristol", "quantity": 4},
    {"channel": "woocommerce", "sku": "OL-MUG-SGE", "location": None, "quantity": 3},
]


@pytest.fixture
def channels(sandbox_url):
    return {
        "shopify": ShopifyStock(ShopifyInventory.from_config()),
        "woocommerce": WooCommerceStock(WooCommerceProducts.from_config()),
    }


@pytest.fixture
def ledger(tmp_path):
    with duckdb.connect(str(tmp_path / "ledger.duckdb")) as conn:
        yield StockPushLedger(conn)


def _published(world) -> tuple[dict, dict]:
    stock = world_stats(world.sandbox)["channel_stock"]
    return stock["shopify"], stock["woocommerce"]


def test_each_change_is_pushed_once_and_an_unchanged_quantity_never_again(world, channels, ledger):
    first = sync_stock(QUEUE, ledger, channels)
    assert (first.pushed, first.skipped) == (3, [])
    shopify, woocommerce = _published(world)
    assert shopify["available"]["OL-MUG-SGE"] == {"leeds": 7, "bristol": 4}
    assert woocommerce["stock_quantity"]["OL-MUG-SGE"] == 3

    again = sync_stock(QUEUE, ledger, channels)
    assert (again.pushed, again.unchanged) == (0, 3)
    assert _published(world)[0]["pushes"] == shopify["pushes"]
    assert _published(world)[1]["pushes"] == woocommerce["pushes"]

    # Available-to-sell changes at one location: only that one is pushed.
    changed = [dict(QUEUE[0], quantity=5), *QUEUE[1:]]
    third = sync_stock(changed, ledger, channels)
    assert (third.pushed, third.unchanged) == (1, 2)
    assert _published(world)[0]["available"]["OL-MUG-SGE"]["leeds"] == 5


def test_a_push_that_landed_before_a_crash_is_not_repeated(world, channels, ledger):
    """The worker dies after Shopify applied the write but before the ledger said so."""
    row = QUEUE[0]
    key = stock_push_key("shopify", row["sku"], row["location"], None, row["quantity"])
    ledger.record_pending(key, "shopify", row["sku"], row["location"], None, row["quantity"], _now())
    shown = channels["shopify"].current(row["sku"], row["location"])
    refused = channels["shopify"].set(row["sku"], row["location"], row["quantity"], shown, "orderloop://stock/x")
    assert refused is None
    pushes_before = _published(world)[0]["pushes"]

    summary = sync_stock([row], ledger, channels)
    assert (summary.pushed, summary.already_applied) == (0, 1)
    assert _published(world)[0]["pushes"] == pushes_before
    assert ledger.status(key) == "done"


def test_the_same_change_made_again_later_gets_a_ledger_row_of_its_own(world, channels, ledger):
    """Found by the soak: stock going 7 to 5, back to 7, then 7 to 5 again reused the first 7-to-5
    row, so the ledger knew of fewer pushes than the channel received."""
    row = QUEUE[0]
    pushes_before = _published(world)[0]["pushes"]
    for quantity in (7, 5, 7, 5):
        assert sync_stock([dict(row, quantity=quantity)], ledger, channels).pushed == 1
    assert _published(world)[0]["pushes"] == pushes_before + 4
    assert ledger.pushes_done("shopify", row["sku"], row["location"]) == 4


def test_a_write_whose_answer_is_lost_is_recorded_as_done_once(world, ledger):
    """Found by the soak: Shopify applied a quantity but its answer came back cut short, and the
    ledger said skipped. The write (the fourth request, after locations, item and level) is
    answered with half its JSON: the action reads the channel again and records the write it
    really made, once."""
    row = QUEUE[0]
    pushes_before = _published(world)[0]["pushes"]
    garbled = FaultConfig(systems=("shopify",), garble_every=4)  # the 4th request: the write
    with SandboxServer(world.sandbox, faults=garbled) as server, sources_pointing_at(server.url):
        shopify = {"shopify": ShopifyStock(ShopifyInventory.from_config())}
        summary = sync_stock([row], ledger, shopify)
        garbles = server.fault_counts()["shopify"]["by_kind"].get("garble", 0)
    assert garbles >= 1 and summary.skipped == [] and summary.pushed == 1
    assert _published(world)[0]["available"][row["sku"]][row["location"]] == row["quantity"]
    assert _published(world)[0]["pushes"] == pushes_before + 1, "applied once"
    assert ledger.pushes_done("shopify", row["sku"], row["location"]) == 1


def test_an_unknown_sku_is_skipped_with_the_reason_and_retried_later(world, channels, ledger):
    unknown = {"channel": "woocommerce", "sku": "NOPE-1", "location": None, "quantity": 2}
    summary = sync_stock([unknown], ledger, channels)
    assert summary.pushed == 0 and "unknown to the channel" in summary.skipped[0]


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC).replace(tzinfo=None)
