"""The channels' stock behind the stock sync action's ChannelStock protocol."""

from __future__ import annotations

from connectors.shopify.inventory import ShopifyInventory
from connectors.woocommerce.products import WooCommerceProducts
from pipelines.actions.stock_sync import Shown


class ShopifyStock:
    """Shopify keeps stock per location; a queue row's location is a warehouse id."""

    def __init__(self, inventory: ShopifyInventory) -> None:
        self._inventory = inventory

    def _ids(self, sku: str, location: str) -> tuple[str, str] | None:
        item, place = self._inventory.item_id(sku), self._inventory.location_id(location)
        return (item, place) if item and place else None

    def current(self, sku: str, location: str) -> Shown:
        ids = self._ids(sku, location)
        return Shown(known=False) if ids is None else Shown(True, self._inventory.available(*ids))

    def set(self, sku: str, location: str, quantity: int, shown: Shown, reference: str) -> str | None:
        ids = self._ids(sku, location)
        if ids is None:
            return "unknown to Shopify"
        outcome = self._inventory.set_available(*ids, quantity, shown.quantity or 0, reference)
        if outcome.applied:
            return None
        return "changed in Shopify since it was read" if outcome.stale else outcome.message


class WooCommerceStock:
    """WooCommerce keeps one quantity per product or variation."""

    def __init__(self, products: WooCommerceProducts) -> None:
        self._products = products

    def current(self, sku: str, location: str) -> Shown:
        product = self._products.by_sku(sku)
        if product is None:
            return Shown(known=False)
        return Shown(True, product.stock_quantity if product.manage_stock else None)

    def set(self, sku: str, location: str, quantity: int, shown: Shown, reference: str) -> str | None:
        product = self._products.by_sku(sku)
        if product is None:
            return "unknown to WooCommerce"
        self._products.set_stock(product, quantity)
        return None
