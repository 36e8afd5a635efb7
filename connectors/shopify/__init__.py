"""Shopify GraphQL Admin API source."""

from connectors.shopify.source import shopify_source

__all__ = ["shopify_source"]
