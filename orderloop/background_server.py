"""Serve an ASGI app on an ephemeral 127.0.0.1 port in a background thread.

Used where orderloop must receive HTTP for the length of a step (the sandbox's carrier
delivering tracking webhooks during `orderloop run`) and by tests. Like `orderloop webhooks`,
it cuts off a client whose request head is slower than ``head_timeout`` (slowloris; see
``orderloop.head_deadline``).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from orderloop.head_deadline import DEFAULT_HEAD_TIMEOUT_SECONDS, head_deadline_protocol

STARTUP_TIMEOUT_SECONDS = 10.0


@contextmanager
def serving(
    app: Any, host: str = "127.0.0.1", head_timeout: float = DEFAULT_HEAD_TIMEOUT_SECONDS
) -> Iterator[str]:
    """Yield the base URL while ``app`` serves; stop it afterwards."""
    sock = socket.socket()
    sock.bind((host, 0))
    protocol = head_deadline_protocol(head_timeout)
    config = uvicorn.Config(app, log_level="warning", access_log=False, http=protocol)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"server on {host} did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
