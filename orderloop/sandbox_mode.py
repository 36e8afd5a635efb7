"""Pointing the sources at the simulated merchant world.

With ``[orderloop] use_sandbox = true`` (the default in .dlt/config.toml) every source
and action is pointed at the sandbox through the same config keys a real account uses,
so the code paths are identical; only the URLs and credentials differ.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager

import dlt

SANDBOX_SHOPIFY_TOKEN = "shpat_sandbox_token"
SANDBOX_CLICK_AND_DROP_KEY = "cnd_sandbox_key"
SANDBOX_WOOCOMMERCE_KEY = "ck_sandbox"
SANDBOX_WOOCOMMERCE_SECRET = "cs_sandbox"
SANDBOX_STRIPE_KEY = "sk_test_sandbox"
SANDBOX_ZENDESK_EMAIL = "support@sandbox.example"
SANDBOX_ZENDESK_TOKEN = "zd_sandbox_token"
SANDBOX_POSTMARK_TOKEN = "pm_sandbox_server_token"
SANDBOX_SENDER = "orders@sandbox.example"
SANDBOX_THREE_PL_KEY = "tpl_sandbox_key"


def sandbox_enabled() -> bool:
    """Whether config asks for the sandbox (``ORDERLOOP__USE_SANDBOX`` overrides the toml)."""
    value = dlt.config.get("orderloop.use_sandbox")
    if value is None:
        return True
    return str(value).strip().lower() in {"1", "true", "yes"}


def sandbox_source_env(base_url: str) -> dict[str, str]:
    """The dlt config/secrets values that point every system at a sandbox on ``base_url``."""
    return {
        "SOURCES__SHOPIFY__SHOP_URL": base_url,
        "SOURCES__SHOPIFY__ACCESS_TOKEN": SANDBOX_SHOPIFY_TOKEN,
        "SOURCES__CLICK_AND_DROP__BASE_URL": f"{base_url}/api/v1",
        "SOURCES__CLICK_AND_DROP__API_KEY": SANDBOX_CLICK_AND_DROP_KEY,
        "SOURCES__WOOCOMMERCE__STORE_URL": base_url,
        "SOURCES__WOOCOMMERCE__CONSUMER_KEY": SANDBOX_WOOCOMMERCE_KEY,
        "SOURCES__WOOCOMMERCE__CONSUMER_SECRET": SANDBOX_WOOCOMMERCE_SECRET,
        "SOURCES__STRIPE__BASE_URL": base_url,
        "SOURCES__STRIPE__API_KEY": SANDBOX_STRIPE_KEY,
        "SOURCES__ZENDESK__BASE_URL": base_url,
        "SOURCES__ZENDESK__EMAIL": SANDBOX_ZENDESK_EMAIL,
        "SOURCES__ZENDESK__API_TOKEN": SANDBOX_ZENDESK_TOKEN,
        "SOURCES__POSTMARK__BASE_URL": f"{base_url}/postmark",
        "SOURCES__POSTMARK__SERVER_TOKEN": SANDBOX_POSTMARK_TOKEN,
        "SOURCES__POSTMARK__SENDER": SANDBOX_SENDER,
        "SOURCES__THREE_PL__BASE_URL": f"{base_url}/3pl/v1",
        "SOURCES__THREE_PL__API_KEY": SANDBOX_THREE_PL_KEY,
    }


@contextmanager
def sources_pointing_at(
    base_url: str, env: MutableMapping[str, str] | None = None
) -> Iterator[dict[str, str]]:
    """Temporarily export the sandbox settings, restoring what was there afterwards."""
    env = os.environ if env is None else env
    values = sandbox_source_env(base_url)
    saved = {key: env.get(key) for key in values}
    env.update(values)
    try:
        yield values
    finally:
        for key, old in saved.items():
            if old is None:
                env.pop(key, None)
            else:
                env[key] = old
