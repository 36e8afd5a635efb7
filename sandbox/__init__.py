"""Simulated merchant world on 127.0.0.1: Shopify Admin GraphQL, WooCommerce REST v3 with Stripe
events, and Royal Mail Click & Drop.

The sandbox is an independent implementation of the outside contracts so the orderloop
pipeline can be exercised end to end with no accounts. It must never import orderloop code.
"""

from sandbox.clock import advance
from sandbox.faults import FaultConfig
from sandbox.generator import generate_world
from sandbox.request_log import requests_seen
from sandbox.server import SandboxServer, create_app
from sandbox.stats import orders_missing_booking, world_stats

__all__ = [
    "FaultConfig",
    "SandboxServer",
    "advance",
    "create_app",
    "generate_world",
    "orders_missing_booking",
    "requests_seen",
    "world_stats",
]
