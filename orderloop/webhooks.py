"""`orderloop webhooks`: serve the EasyPost tracking webhook receiver on 127.0.0.1.

A request head must arrive within ``head_timeout`` seconds (slowloris; see
``orderloop.head_deadline``), and its body within the receiver's own body timeout.
"""

from __future__ import annotations

import dlt
import uvicorn

from connectors.easypost.receiver import WEBHOOK_PATH, create_receiver
from orderloop.head_deadline import DEFAULT_HEAD_TIMEOUT_SECONDS, head_deadline_protocol
from orderloop.paths import DataPaths

SANDBOX_WEBHOOK_SECRET = "whsec_sandbox"


def webhook_secret() -> str:
    """``sources.easypost.webhook_secret`` from dlt secrets or the environment."""
    secret = dlt.secrets.get("sources.easypost.webhook_secret")
    return str(secret) if secret else SANDBOX_WEBHOOK_SECRET


def serve_webhooks(
    paths: DataPaths, host: str = "127.0.0.1", port: int = 8600,
    head_timeout: float = DEFAULT_HEAD_TIMEOUT_SECONDS,
) -> int:
    """Serve until stopped; ``head_timeout`` bounds how long a request's line and headers may take."""
    landing = paths.root / "landing" / "easypost"
    landing.mkdir(parents=True, exist_ok=True)
    app = create_receiver(landing, webhook_secret())
    print(f"EasyPost webhooks: http://{host}:{port}{WEBHOOK_PATH} -> {landing}", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False,
                http=head_deadline_protocol(head_timeout))
    return 0
