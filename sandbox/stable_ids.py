"""Opaque ids that look like the platform's (Stripe `pi_...`, WooCommerce `wc_order_...`) but are a pure
function of the seed and stable inputs, so the same world always carries the same ids."""

from __future__ import annotations

import hashlib

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def opaque(seed: int, *parts: object, length: int = 24) -> str:
    """`length` base62 characters derived from the seed and `parts`."""
    digest = hashlib.sha256(":".join(str(p) for p in (seed, *parts)).encode()).digest()
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(length):
        number, index = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[index])
    return "".join(chars)


def stripe_id(prefix: str, seed: int, *parts: object, length: int = 24) -> str:
    """A Stripe object id such as `pi_...`, `ch_...`, `evt_...` or `req_...`."""
    return f"{prefix}_{opaque(seed, prefix, *parts, length=length)}"


def hex_digest(seed: int, *parts: object, length: int = 32) -> str:
    """Lower-case hex (WooCommerce cart hashes)."""
    return hashlib.md5(":".join(str(p) for p in (seed, *parts)).encode()).hexdigest()[:length]
