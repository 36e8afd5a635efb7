"""Label booking for every channel in one `orderloop run`: WooCommerce and order-file
(marketplace) orders are booked like Shopify orders, with Click & Drop references that no
two channels can share and that the sandbox's warehouses match back to the right order.

Real: the sandbox over HTTP, an eBay export dropped in the landing folder, dlt, dbt, the
Python steps and the actions in one Dagster run, and the sandbox's own matching of each
booking's reference."""

from __future__ import annotations

import shutil
from datetime import timedelta
from zoneinfo import ZoneInfo

import duckdb
import pytest

from orderloop.cli import main
from orderloop.paths import PROJECT_ROOT
from sandbox.order_lookup import match_reference
from sandbox.stats import orders_missing_booking, world_stats
from sandbox.world import opened
from tests.conftest import WORLD_NOW

HEADER = (
    "Order number,Sale date,Order status,Custom label,Quantity,Sold for,Total price,Buyer email,"
    "Post to name,Post to address 1,Post to address 2,Post to city,Post to postcode,Post to country"
)


def _ebay_export(landing, order_number: str) -> None:
    """One paid eBay order, placed two hours before the world's clock, whose number is also a
    Shopify order's number: its label must never be taken for that order."""
    folder = landing / "ebay"
    folder.mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "docs" / "examples" / "ebay-orders.mapping.yaml", folder / "mapping.yaml")
    sold = (WORLD_NOW - timedelta(hours=2)).astimezone(ZoneInfo("Europe/London")).strftime("%d-%b-%y %H:%M")
    row = (f"{order_number},{sold},Paid,OL-TEA-SGE,1,£9.95,£12.94,cy@example.co.uk,"
           "Cy Ng,4 Mill Lane,,York,YO1 7HH,GB")
    (folder / "report.csv").write_text(f"{HEADER}\n{row}\n", encoding="utf-8")


@pytest.fixture(scope="module")
def passed_world(tmp_path_factory):
    """A world with an eBay export landed, after one `orderloop run`."""
    from sandbox.generator import generate_world
    from tests.conftest import WORLD_DAYS, WORLD_SEED, use_data_dir

    paths = use_data_dir(tmp_path_factory.mktemp("channels") / "data")
    generate_world(paths.sandbox, days=WORLD_DAYS, seed=WORLD_SEED, now=WORLD_NOW)
    with opened(paths.sandbox) as conn:
        shopify_number = conn.execute("SELECT name FROM orders ORDER BY number LIMIT 1").fetchone()[0]
    _ebay_export(paths.order_files_landing, shopify_number.lstrip("#"))
    before = world_stats(paths.sandbox)
    assert main(["run"]) == 0
    with duckdb.connect(str(paths.warehouse), read_only=True) as conn:
        ledger = conn.execute(
            "select b.order_id, b.order_reference, b.status, o.channel, o.order_name"
            " from actions.label_bookings as b join marts.fct_orders as o using (order_id)"
        ).fetchall()
    return paths, before, shopify_number, ledger


def test_woocommerce_orders_are_booked_and_the_warehouses_match_them(passed_world):
    paths, before, _, ledger = passed_world
    woo = [row for row in ledger if row[3] == "woocommerce"]
    assert woo, "the world leaves paid WooCommerce orders waiting for a label"
    assert all(status == "booked" for _, _, status, _, _ in woo)
    with opened(paths.sandbox) as conn:
        for _, reference, _, _, number in woo:
            assert reference == f"woocommerce:{number}"
            assert match_reference(conn, reference) == f"woocommerce:{number}"
    missing = orders_missing_booking(paths.sandbox)
    assert not [name for name in missing if not name.startswith("#")], "every waiting WooCommerce order"
    stats = world_stats(paths.sandbox)["click_and_drop"]
    assert stats["duplicate_bookings"] == 0
    assert len(woo) == before["woocommerce"]["orders_processing_address_valid"]


def test_an_order_file_order_is_booked_under_its_channel_and_never_taken_for_a_shopify_order(passed_world):
    paths, _, shopify_number, ledger = passed_world
    number = shopify_number.lstrip("#")
    ebay = [row for row in ledger if row[3] == "ebay"]
    assert ebay == [(f"ebay:{number}", f"ebay:{number}", "booked", "ebay", number)]
    with opened(paths.sandbox) as conn:
        # The sandbox's merchant sells nothing on eBay: the label matches no order of its own,
        # and above all not the Shopify order with the same number.
        assert match_reference(conn, f"ebay:{number}") is None
        assert match_reference(conn, shopify_number) is not None
    stats = world_stats(paths.sandbox)["click_and_drop"]
    assert stats["unmatched_bookings"] == 1 and stats["duplicate_bookings"] == 0


def test_every_booking_reference_is_unique_across_channels(passed_world):
    _, _, _, ledger = passed_world
    references = [reference for _, reference, _, _, _ in ledger]
    assert len(references) == len(set(references))
    assert {channel for *_, channel, _ in ledger} == {"shopify", "woocommerce", "ebay"}
