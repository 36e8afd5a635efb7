"""Pointing the sources at the simulated merchant world.

With ``[orderloop] use_sandbox = true`` (the default in .dlt/config.toml) every source
and action is pointed at the sandbox through the same config keys a real account uses,
so the code paths are identical; only the URLs and credentials differ.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass

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
DEFAULT_CREDENTIALS_TAG = "sandbox"


@dataclass(frozen=True)
class SandboxCredentials:
    """The tokens the sandbox accepts and the sources present, all spelled around one tag.

    The default tag gives the well-known values above. A run can be given a tag of its own
    (``ORDERLOOP__SANDBOX_CREDENTIALS_TAG``), so every token it uses is a string found nowhere
    else: the secrets test greps a whole run's output for them.
    """

    tag: str = DEFAULT_CREDENTIALS_TAG

    @property
    def shopify_token(self) -> str:
        return f"shpat_{self.tag}_token"

    @property
    def click_and_drop_key(self) -> str:
        return f"cnd_{self.tag}_key"

    @property
    def woocommerce_key(self) -> str:
        return f"ck_{self.tag}"

    @property
    def woocommerce_secret(self) -> str:
        return f"cs_{self.tag}"

    @property
    def stripe_key(self) -> str:
        return f"sk_test_{self.tag}"

    @property
    def zendesk_token(self) -> str:
        return f"zd_{self.tag}_token"

    @property
    def postmark_token(self) -> str:
        return f"pm_{self.tag}_server_token"

    @property
    def three_pl_key(self) -> str:
        return f"tpl_{self.tag}_key"

    @property
    def webhook_secret(self) -> str:
        return f"whsec_{self.tag}"

    def tokens(self) -> dict[str, str]:
        """Every secret value by name (the Zendesk login email is not a secret)."""
        names = ("shopify_token", "click_and_drop_key", "woocommerce_key", "woocommerce_secret",
                 "stripe_key", "zendesk_token", "postmark_token", "three_pl_key", "webhook_secret")
        return {name: getattr(self, name) for name in names}

    def server_kwargs(self) -> dict[str, str]:
        """The ``SandboxServer`` arguments that make the sandbox accept exactly these."""
        return {
            "shopify_token": self.shopify_token,
            "click_and_drop_key": self.click_and_drop_key,
            "woo_consumer_key": self.woocommerce_key,
            "woo_consumer_secret": self.woocommerce_secret,
            "stripe_key": self.stripe_key,
            "zendesk_email": SANDBOX_ZENDESK_EMAIL,
            "zendesk_token": self.zendesk_token,
            "postmark_server_token": self.postmark_token,
            "three_pl_key": self.three_pl_key,
        }


def sandbox_credentials() -> SandboxCredentials:
    """The credentials config asks the sandbox to use (``orderloop.sandbox_credentials_tag``)."""
    tag = dlt.config.get("orderloop.sandbox_credentials_tag")
    return SandboxCredentials(str(tag)) if tag else SandboxCredentials()


def sandbox_enabled() -> bool:
    """Whether config asks for the sandbox (``ORDERLOOP__USE_SANDBOX`` overrides the toml)."""
    value = dlt.config.get("orderloop.use_sandbox")
    if value is None:
        return True
    return str(value).strip().lower() in {"1", "true", "yes"}


def sandbox_source_env(base_url: str, credentials: SandboxCredentials | None = None) -> dict[str, str]:
    """The dlt config/secrets values that point every system at a sandbox on ``base_url``."""
    credentials = credentials or SandboxCredentials()
    return {
        "SOURCES__SHOPIFY__SHOP_URL": base_url,
        "SOURCES__SHOPIFY__ACCESS_TOKEN": credentials.shopify_token,
        "SOURCES__CLICK_AND_DROP__BASE_URL": f"{base_url}/api/v1",
        "SOURCES__CLICK_AND_DROP__API_KEY": credentials.click_and_drop_key,
        "SOURCES__WOOCOMMERCE__STORE_URL": base_url,
        "SOURCES__WOOCOMMERCE__CONSUMER_KEY": credentials.woocommerce_key,
        "SOURCES__WOOCOMMERCE__CONSUMER_SECRET": credentials.woocommerce_secret,
        "SOURCES__STRIPE__BASE_URL": base_url,
        "SOURCES__STRIPE__API_KEY": credentials.stripe_key,
        "SOURCES__ZENDESK__BASE_URL": base_url,
        "SOURCES__ZENDESK__EMAIL": SANDBOX_ZENDESK_EMAIL,
        "SOURCES__ZENDESK__API_TOKEN": credentials.zendesk_token,
        "SOURCES__POSTMARK__BASE_URL": f"{base_url}/postmark",
        "SOURCES__POSTMARK__SERVER_TOKEN": credentials.postmark_token,
        "SOURCES__POSTMARK__SENDER": SANDBOX_SENDER,
        "SOURCES__THREE_PL__BASE_URL": f"{base_url}/3pl/v1",
        "SOURCES__THREE_PL__API_KEY": credentials.three_pl_key,
    }


@contextmanager
def sources_pointing_at(
    base_url: str, env: MutableMapping[str, str] | None = None, credentials: SandboxCredentials | None = None
) -> Iterator[dict[str, str]]:
    """Temporarily export the sandbox settings, restoring what was there afterwards."""
    env = os.environ if env is None else env
    values = sandbox_source_env(base_url, credentials)
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
