"""Simulated merchant world on 127.0.0.1: Shopify Admin GraphQL, WooCommerce REST v3 with Stripe
events and refunds, Royal Mail Click & Drop, Zendesk Support and Postmark email; EasyPost-style
tracker webhooks pushed to the merchant and a 3PL's CSV file drops.

The sandbox is an independent implementation of the outside contracts so the orderloop
pipeline can be exercised end to end with no accounts. It must never import orderloop code.
"""

from sandbox.clock import advance
from sandbox.faults import FaultConfig
from sandbox.generator import generate_world
from sandbox.live import LiveConfig, LiveWorld
from sandbox.request_log import requests_seen
from sandbox.server import SandboxServer, create_app
from sandbox.stats import orders_missing_booking, world_stats
from sandbox.tracking_webhooks import deliver_pending
from sandbox.warehouse_files import write_feeds

__all__ = [
    "FaultConfig",
    "LiveConfig",
    "LiveWorld",
    "SandboxServer",
    "advance",
    "create_app",
    "deliver_pending",
    "generate_world",
    "orders_missing_booking",
    "requests_seen",
    "world_stats",
    "write_feeds",
]
