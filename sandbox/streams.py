"""Random streams per purpose and entity, derived from the seed.

Everything added after the Shopify, WooCommerce and Stripe content draws from its own stream keyed by
what it is about (a parcel's tracking number, an order's key), so it neither disturbs the older
streams nor depends on how many other things were simulated in the same step.
"""

from __future__ import annotations

import random


def stream(purpose: str, seed: int, *parts: object) -> random.Random:
    """A generator that is a pure function of `purpose`, the seed and `parts`."""
    return random.Random(":".join(str(p) for p in (purpose, seed, *parts)))
