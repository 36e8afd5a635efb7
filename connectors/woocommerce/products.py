"""Setting a SKU's stock quantity in WooCommerce (the stock sync action's write).

A SKU may belong to a simple product or to a variation of a variable product; WooCommerce
refuses a variation's stock on ``/products/{id}``, so a variation is written through
``/products/{parent}/variations/{id}``. Setting a quantity is idempotent: writing the same
value twice leaves the same stock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import dlt
from requests.auth import HTTPBasicAuth

from connectors.woocommerce.errors import raise_when_refused, retrying_session
from connectors.woocommerce.source import API_PATH


@dataclass(frozen=True)
class StockedProduct:
    """Where a SKU's stock lives in WooCommerce, and what it shows now."""

    product_id: int
    parent_id: int | None
    stock_quantity: int | None
    manage_stock: bool

    @property
    def path(self) -> str:
        if self.parent_id:
            return f"products/{self.parent_id}/variations/{self.product_id}"
        return f"products/{self.product_id}"


class WooCommerceProducts:
    """Finds products by SKU and sets their stock."""

    def __init__(
        self, store_url: str, consumer_key: str, consumer_secret: str, request_timeout: float | None = None
    ) -> None:
        self._base = f"{store_url.rstrip('/')}/{API_PATH}/"
        self._session = retrying_session(request_timeout)
        self._session.auth = HTTPBasicAuth(consumer_key, consumer_secret)
        self._session.hooks["response"].append(raise_when_refused(consumer_key, consumer_secret))

    @classmethod
    def from_config(cls) -> WooCommerceProducts:
        """``sources.woocommerce.store_url``, ``consumer_key``, ``consumer_secret``."""
        return cls(
            dlt.config["sources.woocommerce.store_url"],
            dlt.secrets["sources.woocommerce.consumer_key"],
            dlt.secrets["sources.woocommerce.consumer_secret"],
            dlt.config.get("sources.woocommerce.request_timeout"),
        )

    def by_sku(self, sku: str) -> StockedProduct | None:
        found: list[dict[str, Any]] = self._session.get(self._base + "products", params={"sku": sku}).json()
        if not found:
            return None
        product = found[0]
        return StockedProduct(
            product_id=int(product["id"]),
            parent_id=int(product["parent_id"]) if product.get("parent_id") else None,
            stock_quantity=product.get("stock_quantity"),
            manage_stock=bool(product.get("manage_stock")),
        )

    def set_stock(self, product: StockedProduct, quantity: int) -> None:
        self._session.put(self._base + product.path, json={"stock_quantity": quantity, "manage_stock": True})
