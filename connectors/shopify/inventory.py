"""Setting a SKU's available quantity at a Shopify location (the stock sync action's write).

``inventorySetQuantities`` with ``compareQuantity`` is a compare-and-set: the write applies
only if the quantity is still what we read, so a person's change in Shopify between our
read and our write is never overwritten blindly, and a retry after a crash can tell that
its earlier write already landed (the level already shows the target).
"""

from __future__ import annotations

from dataclasses import dataclass

import dlt

from connectors.shopify.client import ShopifyGraphQLClient

LOCATIONS_QUERY = """
query Locations { locations(first: 50) { nodes { id name } } }
"""

ITEM_QUERY = """
query Item($query: String!) { inventoryItems(first: 5, query: $query) { nodes { id sku } } }
"""

LEVEL_QUERY = """
query Level($item: ID!, $location: ID!) {
  inventoryItem(id: $item) {
    inventoryLevel(locationId: $location) { quantities(names: ["available"]) { name quantity } }
  }
}
"""

SET_MUTATION = """
mutation Set($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { id }
    userErrors { code field message }
  }
}
"""


@dataclass(frozen=True)
class SetOutcome:
    """applied: Shopify accepted the write; stale: the level moved since we read it."""

    applied: bool
    stale: bool
    message: str | None = None


class ShopifyInventory:
    """Reads and sets available quantities, by SKU and location."""

    def __init__(self, client: ShopifyGraphQLClient, locations: dict[str, str] | None = None) -> None:
        self._client = client
        self._configured_locations = locations or {}
        self._locations: dict[str, str] | None = None
        self._items: dict[str, str | None] = {}

    @classmethod
    def from_config(cls) -> ShopifyInventory:
        """``sources.shopify.shop_url`` / ``access_token`` / ``api_version``, and optionally
        ``sources.shopify.locations`` (warehouse id -> location gid)."""
        client = ShopifyGraphQLClient(
            dlt.config["sources.shopify.shop_url"],
            dlt.secrets["sources.shopify.access_token"],
            dlt.config.get("sources.shopify.api_version") or "2025-01",
        )
        return cls(client, dlt.config.get("sources.shopify.locations") or None)

    def location_id(self, warehouse_id: str) -> str | None:
        """The location configured for a warehouse (``sources.shopify.locations``), else the
        one named like it ("leeds" → "Leeds" or "Leeds Warehouse")."""
        if warehouse_id in self._configured_locations:
            return self._configured_locations[warehouse_id]
        if self._locations is None:
            nodes = self._client.execute(LOCATIONS_QUERY, {})["locations"]["nodes"]
            self._locations = {node["name"].lower(): node["id"] for node in nodes}
        wanted = {warehouse_id.lower(), f"{warehouse_id.lower()} warehouse"}
        return next((gid for name, gid in self._locations.items() if name in wanted), None)

    def item_id(self, sku: str) -> str | None:
        if sku not in self._items:
            # Quoted so a SKU with spaces is one term; only an exact match counts.
            query = {"query": f'sku:"{sku}"'}
            nodes = self._client.execute(ITEM_QUERY, query)["inventoryItems"]["nodes"]
            self._items[sku] = next((node["id"] for node in nodes if node.get("sku") == sku), None)
        return self._items[sku]

    def available(self, item_id: str, location_id: str) -> int:
        data = self._client.execute(LEVEL_QUERY, {"item": item_id, "location": location_id})
        level = (data.get("inventoryItem") or {}).get("inventoryLevel") or {}
        quantities = {q["name"]: q["quantity"] for q in level.get("quantities") or []}
        return int(quantities.get("available") or 0)

    def set_available(
        self, item_id: str, location_id: str, quantity: int, compare_quantity: int, reference: str
    ) -> SetOutcome:
        payload = {
            "name": "available",
            "reason": "correction",
            "referenceDocumentUri": reference,
            "quantities": [
                {
                    "inventoryItemId": item_id,
                    "locationId": location_id,
                    "quantity": quantity,
                    "compareQuantity": compare_quantity,
                }
            ],
        }
        result = self._client.execute(SET_MUTATION, {"input": payload})["inventorySetQuantities"]
        errors = result.get("userErrors") or []
        if not errors:
            return SetOutcome(applied=True, stale=False)
        stale = any(e.get("code") == "COMPARE_QUANTITY_STALE" for e in errors)
        return SetOutcome(applied=False, stale=stale, message="; ".join(e.get("message", "") for e in errors))
