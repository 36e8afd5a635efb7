"""Injected faults for every outside system the sandbox serves: rate limiting, transient 5xx errors,
stalls, dropped connections and malformed records.

All are deterministic so tests stay stable: the rate limit counts requests in a rolling second
(the N+1-th within one second gets HTTP 429 with `Retry-After`); every request that got past the rate
limit is numbered, and `reset_every=k` drops the connection of exactly every k-th of them without an
HTTP answer, `fail_every=k` answers every k-th with `fail_status`, and `stall_every=k` holds every
k-th for `stall_seconds` before answering it normally, `cut_every=k` carries out every k-th, sends its
status line, headers (the full Content-Length) and the first half of its body, then drops the
connection (a reset mid-body), and `garble_every=k` carries out every k-th and answers it with only the
first half of its body under a matching Content-Length (a proxy that cut the answer: invalid JSON with
a 200), and `replay_every=k` answers every k-th GET with the answer its path got last time (a stale
cache: a page served twice, with the cursor or page links it had then) (one fault per request, in
that order of precedence); `slow_answer_matching="text"` lets a
request whose path or body contains the text be carried out, then holds its answer for
`stall_seconds` (the effect happened but the client has not heard: the window in which a client that
dies leaves no record of its own call); `malformed_every=k` breaks every k-th record of a system (see
`malformed`; the same records on every request). Each system has its own counters; all off by default.
Each injector also counts what it did (`injected`, per kind) and how many faulted requests came back
(`retried`: the same method, path, query and body arriving again), the soak's witness of faults and
retries.

By default faults apply to WooCommerce, Stripe and Zendesk only (as before Shopify, Click & Drop and
Postmark could be faulted); name `shopify`, `click_and_drop`, `postmark` and `three_pl` in `systems` to
fault them too.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import threading
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

FAULT_SYSTEMS = ("woocommerce", "stripe", "zendesk", "shopify", "click_and_drop", "postmark", "three_pl")
# What `FaultConfig.systems` is when not given: the systems faults applied to from the start.
DEFAULT_FAULT_SYSTEMS = ("woocommerce", "stripe", "zendesk")
# Systems whose records `malformed_every` can break (Click & Drop serves only the client's bookings).
MALFORMED_SYSTEMS = ("woocommerce", "stripe", "zendesk", "shopify")
Endpoint = Callable[[Request], Awaitable[Response]]
# Scope keys: the connection's transport (set by `remember_transport`) and the mark a dropped
# connection leaves for the request log.
TRANSPORT_KEY = "sandbox.transport"
RESET_KEY = "sandbox.connection_reset"


@dataclass(frozen=True)
class FaultConfig:
    """Per-server fault settings.

    rate_limit_per_second: requests allowed per rolling second before 429 (None: unlimited).
    fail_every: every k-th request answers `fail_status` (None: never).
    malformed_every: every k-th record of a system is served breaking its API's documentation
        (None: never).
    stall_every: every k-th request waits `stall_seconds` before it is answered (None: never).
    stall_seconds: how long a stalled request waits.
    reset_every: every k-th request's connection is closed without any HTTP response (None: never).
    cut_every: every k-th request is carried out and its answer cut off half-way by a dropped
        connection (None: never).
    garble_every: every k-th request is carried out and answered with half its body, as a complete
        response (None: never).
    replay_every: every k-th GET is answered with the previous answer to the same path, if there
        was one (None: never).
    slow_answer_matching: a request whose path or body contains this text is carried out, then its
        answer waits `stall_seconds` (None: never); the window crash tests kill a client in.
    systems: which systems the faults apply to (a subset of `FAULT_SYSTEMS`; default woocommerce,
        stripe, zendesk).
    per_system: a system named here gets these settings instead (its own rates): a system asked a
        few times a run needs a smaller k than one asked thousands of times to meet its faults at all.
    """

    rate_limit_per_second: int | None = None
    fail_every: int | None = None
    fail_status: int = 503
    systems: tuple[str, ...] = DEFAULT_FAULT_SYSTEMS
    malformed_every: int | None = None
    stall_every: int | None = None
    stall_seconds: float = 30.0
    reset_every: int | None = None
    cut_every: int | None = None
    garble_every: int | None = None
    replay_every: int | None = None
    slow_answer_matching: str | None = None
    per_system: Mapping[str, FaultConfig] = field(default_factory=dict)

    def for_system(self, system: str) -> FaultConfig:
        """The settings `system` gets: its own from `per_system`, else these."""
        own = self.per_system.get(system)
        return self if own is None else replace(own, systems=(system,))

    def __post_init__(self) -> None:
        unknown = (set(self.systems) | set(self.per_system)) - set(FAULT_SYSTEMS)
        if unknown:
            raise ValueError(
                f"faults apply only to {', '.join(FAULT_SYSTEMS)}, not {', '.join(sorted(unknown))}"
            )
        if self.rate_limit_per_second is not None and self.rate_limit_per_second < 1:
            raise ValueError("rate_limit_per_second must be >= 1")
        every = ("fail_every", "malformed_every", "stall_every", "reset_every", "cut_every", "garble_every",
                 "replay_every")
        for name in every:
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be >= 1")
        if not 500 <= self.fail_status <= 599:
            raise ValueError("fail_status must be a 5xx status")
        if not (math.isfinite(self.stall_seconds) and self.stall_seconds > 0):
            raise ValueError("stall_seconds must be > 0")


@dataclass(frozen=True)
class Fault:
    """What to do to one request instead of (or before) answering it normally."""

    # "rate_limit" | "fail" (answer `response`), "stall" (wait, then answer), "reset", "cut", "garble",
    # "replay"
    kind: str
    response: Response | None = None


class NoResponse(Response):
    """Sends nothing: the connection was dropped before any answer."""

    def __init__(self) -> None:
        super().__init__(status_code=599)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        return None


class CutShortResponse(Response):
    """The answer's status line, headers and first half of its body; then the connection is dropped
    (requests' ChunkedEncodingError "IncompleteRead")."""

    def __init__(self, answer: Response) -> None:
        super().__init__(status_code=answer.status_code)
        self.answer = answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = bytes(self.answer.body)
        start = {"type": "http.response.start", "status": self.answer.status_code}
        await send({**start, "headers": self.answer.raw_headers})
        await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
        scope[RESET_KEY] = True  # `drop_connection` aborts the transport once the app returns


def garbled(answer: Response) -> Response:
    """The answer with the second half of its body gone and a Content-Length that says so."""
    body = bytes(answer.body)
    headers = {k: v for k, v in answer.headers.items() if k.lower() != "content-length"}
    return Response(body[: len(body) // 2], status_code=answer.status_code, headers=headers)


def remember_transport(scope: MutableMapping[str, Any], send: Send) -> None:
    """Keep uvicorn's connection transport in the scope, so `reset_every` can drop the connection.

    uvicorn hands the app its per-request cycle's bound `send`; the cycle owns the transport.
    Under another server nothing is kept and a reset falls back to whatever that server does when an
    app answers nothing."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is not None and hasattr(transport, "abort"):
        scope[TRANSPORT_KEY] = transport


async def drop_connection(scope: MutableMapping[str, Any]) -> None:
    """Close the connection of a request `FaultInjector.reset` marked, before any byte of an answer:
    the client reads end-of-stream where the status line should be (http.client's
    RemoteDisconnected, requests' ConnectionError "Connection aborted")."""
    transport = scope.get(TRANSPORT_KEY)
    if scope.get(RESET_KEY) and transport is not None:
        transport.abort()
        await asyncio.sleep(0)  # uvicorn sees the connection go, so it sends no 500 of its own


class FaultInjector:
    """One system's fault counters; `wrap` puts them in front of an endpoint (before authentication)."""

    def __init__(
        self,
        config: FaultConfig | None,
        system: str,
        too_many: Callable[[int], Response],
        unavailable: Callable[[int], Response],
        clock: Callable[[], float] = time.monotonic,
    ):
        if config is None or system not in config.systems:
            config = FaultConfig()
        self.system = system
        self.rate_limit = config.rate_limit_per_second
        self.fail_every = config.fail_every
        self.fail_status = config.fail_status
        self.stall_every = config.stall_every
        self.stall_seconds = config.stall_seconds
        self.reset_every = config.reset_every
        self.cut_every = config.cut_every
        self.garble_every = config.garble_every
        self.replay_every = config.replay_every
        self._answered: dict[str, tuple[int, bytes, dict[str, str]]] = {}  # path -> the last GET answer
        self.slow_answer_matching = config.slow_answer_matching
        self._too_many = too_many
        self._unavailable = unavailable
        self._clock = clock
        self._calls: deque[float] = deque()
        self._served = 0
        self._lock = threading.Lock()
        self._released = threading.Event()
        self.injected: Counter[str] = Counter()  # faults applied, per kind
        self.retried = 0  # faulted requests that arrived again
        self._awaiting_retry: Counter[tuple[str, str, str, str]] = Counter()
        self._counting = config != FaultConfig(systems=config.systems)  # any fault configured at all

    def check(self) -> Fault | None:
        """Count one request; the fault to apply to it, if any."""
        with self._lock:
            if self.rate_limit is not None:
                now = self._clock()
                while self._calls and now - self._calls[0] >= 1.0:
                    self._calls.popleft()
                if len(self._calls) >= self.rate_limit:
                    wait = max(1, math.ceil(1.0 - (now - self._calls[0])))
                    response = self._too_many(wait)
                    response.headers["Retry-After"] = str(wait)
                    return Fault("rate_limit", response)
                self._calls.append(now)
            self._served += 1
            served = self._served
        if self.reset_every is not None and served % self.reset_every == 0:
            return Fault("reset")
        if self.cut_every is not None and served % self.cut_every == 0:
            return Fault("cut")
        if self.garble_every is not None and served % self.garble_every == 0:
            return Fault("garble")
        if self.replay_every is not None and served % self.replay_every == 0:
            return Fault("replay")
        if self.fail_every is not None and served % self.fail_every == 0:
            return Fault("fail", self._unavailable(self.fail_status))
        if self.stall_every is not None and served % self.stall_every == 0:
            return Fault("stall")
        return None

    @property
    def served(self) -> int:
        """Requests counted so far (those past the rate limit): lets a test see one arrive."""
        with self._lock:
            return self._served

    def release(self, released: bool = True) -> None:
        """End every stall now and skip later ones, so a stopping server is not held up by them
        (`released=False` arms them again for a restart)."""
        if released:
            self._released.set()
        else:
            self._released.clear()

    async def stall(self) -> None:
        """Wait `stall_seconds` without blocking the event loop (other requests go on being served)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.stall_seconds
        while not self._released.is_set():
            left = deadline - loop.time()
            if left <= 0:
                return
            await asyncio.sleep(min(left, 0.05))

    def remember(self, request: Request, response: Response) -> Response:
        """Keep a GET's answer for `replay` (only when `replay_every` is on)."""
        if self.replay_every is not None and request.method == "GET":
            headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
            self._answered[request.url.path] = (response.status_code, bytes(response.body), headers)
        return response

    def replay(self, request: Request) -> Response | None:
        """The last answer to this GET's path, served again; None if there is none to replay."""
        kept = self._answered.get(request.url.path) if request.method == "GET" else None
        if kept is None:
            return None
        status, body, headers = kept
        return Response(body, status_code=status, headers=headers)

    @staticmethod
    def reset(request: Request) -> Response:
        """Answer nothing and mark the request, so the app drops its connection on the way out (see
        `drop_connection`), after the request log has noted it."""
        request.scope[RESET_KEY] = True
        return NoResponse()

    @staticmethod
    async def _request_key(request: Request) -> tuple[str, str, str, str]:
        """What makes a request the same one asked again: method, path, query and body."""
        body = hashlib.sha256(await request.body()).hexdigest() if request.method != "GET" else ""
        return request.method, request.url.path, request.url.query, body

    def _count(self, key: tuple[str, str, str, str], fault: str | None) -> None:
        """Note a request: a retry if it got a fault before, and the fault it gets now."""
        with self._lock:
            if self._awaiting_retry[key] > 0:
                self._awaiting_retry[key] -= 1
                self.retried += 1
            if fault is not None:
                self.injected[fault] += 1
                self._awaiting_retry[key] += 1

    def wrap(self, endpoint: Endpoint) -> Endpoint:
        """The endpoint behind this injector."""

        async def guarded(request: Request) -> Response:
            fault = self.check()
            key = await self._request_key(request) if self._counting else None
            if fault is not None and fault.kind == "replay":
                replayed = self.replay(request)
                if key is not None:
                    self._count(key, "replay" if replayed is not None else None)
                return replayed or self.remember(request, await endpoint(request))
            if key is not None:
                self._count(key, None if fault is None else fault.kind)
            if fault is None:
                if self.slow_answer_matching is None:
                    return self.remember(request, await endpoint(request))
                text = self.slow_answer_matching
                slow = text in request.url.path or text.encode() in await request.body()
                response = await endpoint(request)
                if slow:
                    await self.stall()
                return response
            if fault.kind == "reset":
                return self.reset(request)
            if fault.kind == "cut":
                return CutShortResponse(await endpoint(request))
            if fault.kind == "garble":
                return garbled(await endpoint(request))
            if fault.kind == "stall":
                # Read the body first: the endpoint still runs after the stall (a POST is carried
                # out although the client may have given up), and Starlette keeps the body it read.
                await request.body()
                await self.stall()
                return await endpoint(request)
            assert fault.response is not None
            return fault.response

        return guarded
