"""`orderloop webhooks`: serve the EasyPost tracking webhook receiver on 127.0.0.1."""

from __future__ import annotations

import dlt
import uvicorn

from connectors.easypost.receiver import WEBHOOK_PATH, create_receiver
from orderloop.paths import DataPaths

SANDBOX_WEBHOOK_SECRET = "whsec_sandbox"


def webhook_secret() -> str:
    """``sources.easypost.webhook_secret`` from dlt secrets or the environment."""
    secret = dlt.secrets.get("sources.easypost.webhook_secret")
    return str(secret) if secret else SANDBOX_WEBHOOK_SECRET


def serve_webhooks(paths: DataPaths, host: str = "127.0.0.1", port: int = 8600) -> int:
    landing = paths.root / "landing" / "easypost"
    landing.mkdir(parents=True, exist_ok=True)
    app = create_receiver(landing, webhook_secret())
    print(f"EasyPost webhooks: http://{host}:{port}{WEBHOOK_PATH} -> {landing}", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    return 0
