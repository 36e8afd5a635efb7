"""A uvicorn HTTP protocol that closes a connection whose request head is too slow to arrive.

Why: slowloris. A client that sends its request line and headers a byte at a time holds a
connection (and its memory) for as long as it likes: uvicorn 0.54 has no header timeout
(``timeout_keep_alive`` only covers idle time between requests, and any byte resets it), and
the receiver's own body timeout only starts once the app runs, after the head. Here the head
must be complete within ``head_timeout`` seconds of the connection opening, or of its first
byte for a later request on a kept-alive connection; otherwise the client gets a 408 and the
connection is closed (a connection that sent nothing is closed without one). The app never
sees such a request, so nothing of it is stored.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

DEFAULT_HEAD_TIMEOUT_SECONDS = 10.0


class _HeadDeadline(HttpToolsProtocol):
    head_timeout: float = DEFAULT_HEAD_TIMEOUT_SECONDS
    _head_timer: asyncio.TimerHandle | None = None
    _head_started = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_started = True
        self._arm()  # a later request on a kept-alive connection gets its own deadline

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._head_timer is None:  # keep an earlier deadline: trickling must not push it back
            self._head_timer = self.loop.call_later(self.head_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        self._head_timer = None
        self._head_started = False

    def _too_slow(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if self._head_started:
            message = f"request head not received within {self.head_timeout:g} s"
            self.logger.warning("%s; connection closed", message)
            self.transport.write(
                b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
                + f"content-length: {len(message)}\r\nconnection: close\r\n\r\n{message}".encode()
            )
        self.transport.close()


def head_deadline_protocol(head_timeout: float = DEFAULT_HEAD_TIMEOUT_SECONDS) -> type[asyncio.Protocol]:
    """The class to pass as uvicorn's ``http``: uvicorn builds it itself, so the timeout rides on it."""
    return type("HeadDeadlineProtocol", (_HeadDeadline,), {"head_timeout": head_timeout})
