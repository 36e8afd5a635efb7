"""Injected faults for the WooCommerce, Stripe and Zendesk endpoints: rate limiting, transient 5xx
errors and malformed records.

All are deterministic so tests stay stable: the rate limit counts requests in a rolling second
(the N+1-th within one second gets HTTP 429 with `Retry-After`), `fail_every=k` fails exactly
every k-th request that got past the rate limit, and `malformed_every=k` breaks every k-th record of a
system (see `malformed`; the same records on every request). Each system has its own counters; all
off by default.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

FAULT_SYSTEMS = ("woocommerce", "stripe", "zendesk")
Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class FaultConfig:
    """Per-server fault settings.

    rate_limit_per_second: requests allowed per rolling second before 429 (None: unlimited).
    fail_every: every k-th request answers `fail_status` (None: never).
    malformed_every: every k-th record of a system is served breaking its API's documentation
        (None: never).
    systems: which systems the faults apply to (a subset of woocommerce, stripe, zendesk).
    """

    rate_limit_per_second: int | None = None
    fail_every: int | None = None
    fail_status: int = 503
    systems: tuple[str, ...] = FAULT_SYSTEMS
    malformed_every: int | None = None

    def __post_init__(self) -> None:
        unknown = set(self.systems) - set(FAULT_SYSTEMS)
        if unknown:
            raise ValueError(
                f"faults apply only to {', '.join(FAULT_SYSTEMS)}, not {', '.join(sorted(unknown))}"
            )
        if self.rate_limit_per_second is not None and self.rate_limit_per_second < 1:
            raise ValueError("rate_limit_per_second must be >= 1")
        if self.fail_every is not None and self.fail_every < 1:
            raise ValueError("fail_every must be >= 1")
        if self.malformed_every is not None and self.malformed_every < 1:
            raise ValueError("malformed_every must be >= 1")
        if not 500 <= self.fail_status <= 599:
            raise ValueError("fail_status must be a 5xx status")


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
        self.rate_limit = config.rate_limit_per_second
        self.fail_every = config.fail_every
        self.fail_status = config.fail_status
        self._too_many = too_many
        self._unavailable = unavailable
        self._clock = clock
        self._calls: deque[float] = deque()
        self._served = 0
        self._lock = threading.Lock()

    def check(self) -> Response | None:
        """Count one request; the fault response to send instead, if any."""
        with self._lock:
            if self.rate_limit is not None:
                now = self._clock()
                while self._calls and now - self._calls[0] >= 1.0:
                    self._calls.popleft()
                if len(self._calls) >= self.rate_limit:
                    wait = max(1, math.ceil(1.0 - (now - self._calls[0])))
                    response = self._too_many(wait)
                    response.headers["Retry-After"] = str(wait)
                    return response
                self._calls.append(now)
            self._served += 1
            if self.fail_every is not None and self._served % self.fail_every == 0:
                return self._unavailable(self.fail_status)
        return None

    def wrap(self, endpoint: Endpoint) -> Endpoint:
        """The endpoint behind this injector."""

        async def guarded(request: Request) -> Response:
            fault = self.check()
            return fault if fault is not None else await endpoint(request)

        return guarded
