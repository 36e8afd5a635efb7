"""Simulated merchant world: Shopify Admin GraphQL and Royal Mail Click & Drop on 127.0.0.1.

The sandbox is an independent implementation of the outside contracts so the orderloop
pipeline can be exercised end to end with no accounts. It must never import orderloop code.
"""

from sandbox.clock import advance
from sandbox.generator import generate_world
from sandbox.server import SandboxServer, create_app
from sandbox.stats import orders_missing_booking, world_stats

__all__ = [
    "SandboxServer",
    "advance",
    "create_app",
    "generate_world",
    "orders_missing_booking",
    "world_stats",
]
