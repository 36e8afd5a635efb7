"""EasyPost's webhook signature: ``X-Hmac-Signature: hmac-sha256-hex=<hex>`` over the raw body.

The secret is NFKD-normalised before use, as EasyPost's client libraries do, so a secret
with accented characters verifies the same way on both sides.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

SIGNATURE_HEADER = "X-Hmac-Signature"
PREFIX = "hmac-sha256-hex="


def sign(body: bytes, secret: str) -> str:
    """The header value EasyPost sends for ``body``."""
    key = unicodedata.normalize("NFKD", secret).encode("utf-8")
    return PREFIX + hmac.new(key, body, hashlib.sha256).hexdigest()


def is_valid(body: bytes, header_value: str | None, secret: str) -> bool:
    """Constant-time comparison; a missing header is invalid."""
    return header_value is not None and hmac.compare_digest(sign(body, secret), header_value.strip())
