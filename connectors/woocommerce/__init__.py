"""WooCommerce REST API v3 source."""

from connectors.woocommerce.source import woocommerce_source

__all__ = ["woocommerce_source"]
