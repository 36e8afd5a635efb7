"""Warehouse and 3PL file feeds: stock snapshots, fulfilment updates, returns received."""

from connectors.warehouse_feeds.source import warehouse_feeds_source

__all__ = ["warehouse_feeds_source"]
