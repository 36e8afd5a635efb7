"""Stock sync against the sandbox's Shopify inventory and WooCommerce products: each change
is pushed once, an unchanged quantity is not pushed again, and a push that landed before a
crash is not repeated."""

from __future__ import annotations

import duckdb
import pytest

from connectors.shopify.inventory import ShopifyInventory
from connectors.woocommerce.products import WooCommerceProducts
from pipelines.actions.stock_channels import ShopifyStock, WooCommerceStock
from pipelines.actions.stock_ledger import StockPushLedger, stock_push_key
from pipelines.actions.stock_sync import sync_stock
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


def test_an_unknown_sku_is_skipped_with_the_reason_and_retried_later(world, channels, ledger):
    unknown = {"channel": "woocommerce", "sku": "NOPE-1", "location": None, "quantity": 2}
    summary = sync_stock([unknown], ledger, channels)
    assert summary.pushed == 0 and "unknown to the channel" in summary.skipped[0]


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC).replace(tzinfo=None)
