"""Keeping the world alive while `serve` runs: a background thread that advances the clock every
few seconds and then pushes what happened (tracker webhooks, warehouse files), so a demo needs no
one calling `advance` by hand.

The wall clock only paces the ticks. Each tick advances the world by the same world time
(`hours_per_minute * tick_seconds / 60` hours, carried to the whole second), so the world after n
ticks is exactly the world after n calls of `advance` with those hours; a late tick makes the world
run slower, never jump. No extra lock is needed next to the API: `advance` is one `BEGIN IMMEDIATE`
transaction, every request reads inside its own snapshot (`world.opened`, WAL), so it sees the world
before or after a tick and never half of one, and writers (bookings, the request log) wait on the
30 s busy timeout instead of failing with "database is locked".
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.clock import advance
from sandbox.tracking_webhooks import deliver_pending
from sandbox.warehouse_files import write_feeds

DEFAULT_TICK_SECONDS = 10.0


@dataclass(frozen=True)
class LiveConfig:
    """How fast the world runs and what is pushed after each tick."""

    hours_per_minute: float
    tick_seconds: float = DEFAULT_TICK_SECONDS
    webhook_url: str | None = None
    webhook_secret: str | None = None
    feeds_landing: Path | None = None

    def __post_init__(self) -> None:
        if not self.hours_per_minute > 0 or not math.isfinite(self.hours_per_minute):
            raise ValueError("live hours per minute must be > 0")
        if not self.tick_seconds > 0 or not math.isfinite(self.tick_seconds):
            raise ValueError("tick seconds must be > 0")
        if (self.webhook_url is None) != (self.webhook_secret is None):
            raise ValueError("a webhook URL and a webhook secret go together")

    @property
    def seconds_per_tick(self) -> float:
        """World seconds each tick adds (before carrying fractions)."""
        return self.hours_per_minute * self.tick_seconds * 60


def _print(line: str) -> None:
    print(line, flush=True)


def describe_tick(result: dict[str, Any]) -> str:
    """The one line logged per tick."""
    line = f"live {result['now']}"
    summary = result.get("advance")
    if summary is not None:
        line += (
            f" (+{result['world_seconds'] / 3600:g}h): {summary['orders_created']} Shopify +"
            f" {summary['woocommerce_orders_created']} WooCommerce orders created,"
            f" {summary['orders_despatched']} despatched"
        )
    hooks = result.get("webhooks")
    if hooks is not None:
        line += f", {hooks['sent']} webhooks sent ({hooks['accepted']} accepted)"
    feeds = result.get("feeds")
    if feeds is not None:
        line += f", {feeds['files_written']} warehouse files"
    if result.get("error"):
        line += f"; failed: {result['error']}"
    return line


class LiveWorld:
    """Ticks `data_dir` forward in a daemon thread until stopped; `tick()` also works on its own."""

    def __init__(self, data_dir: Path, config: LiveConfig, log: Callable[[str], None] | None = None):
        self.data_dir = Path(data_dir)
        self.config = config
        self.log = log or _print
        self.ticks = 0
        self.errors = 0
        self.last: dict[str, Any] | None = None
        self._owed = 0.0  # world seconds not yet advanced (fractions carried between ticks)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the ticking thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def tick(self) -> dict[str, Any]:
        """Advance by one tick's world time, then push; an error is logged and reported, not raised,
        so one bad tick (e.g. the world regenerated under the server) does not end the live mode."""
        self._owed += self.config.seconds_per_tick
        whole = math.floor(self._owed)
        self._owed -= whole
        result: dict[str, Any] = {"world_seconds": whole}
        try:
            if whole:
                result["advance"] = advance(self.data_dir, whole / 3600)
                result["now"] = result["advance"]["now"]
            if self.config.webhook_url is not None and self.config.webhook_secret is not None:
                result["webhooks"] = deliver_pending(
                    self.data_dir, self.config.webhook_url, self.config.webhook_secret
                )
            if self.config.feeds_landing is not None:
                result["feeds"] = write_feeds(self.data_dir, self.config.feeds_landing)
        except Exception as exc:  # the thread must outlive a bad tick
            self.errors += 1
            result["error"] = f"{type(exc).__name__}: {exc}"
        result.setdefault("now", self.last["now"] if self.last else "-")
        self.ticks += 1
        self.last = result
        self.log(describe_tick(result))
        return result

    def _run(self) -> None:
        period = self.config.tick_seconds
        due = time.monotonic() + period
        while not self._stop.wait(max(0.0, due - time.monotonic())):
            self.tick()
            due += period
            now = time.monotonic()
            if due < now:  # behind (a slow tick or receiver): skip the missed slots, don't burst
                due = now + period - (now - due) % period

    def start(self) -> LiveWorld:
        """Start ticking in the background (the first tick is one period from now)."""
        if self.running:
            return self
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sandbox-live", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Stop ticking; waits for a tick in progress to finish, so none runs after this returns."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None
