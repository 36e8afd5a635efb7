"""Publish each channel's available-to-sell (``stock_sync_queue``) when it changes.

For each queued quantity that differs from what orderloop last pushed: write ``pending``,
read what the channel shows, and set the new quantity unless the channel already shows it
(a write that landed before a crash is never repeated). Shopify's write is a
compare-and-set against the value just read, so a person's change in between is not
overwritten: that push is skipped with the reason and retried on the next pass. A write whose
answer was lost (or whose repeat was refused as stale) is judged by reading the channel again:
the ledger records what the channel received, so every push made has a ``done`` row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from requests import HTTPError

from orderloop.decision_clock import decision_now
from pipelines.actions.stock_ledger import ALL_LOCATIONS, StockPushLedger, stock_push_key


@dataclass(frozen=True)
class Shown:
    """What a channel shows for a SKU at a location. known: the channel has the SKU there;
    quantity: None when the channel does not track its stock yet."""

    known: bool
    quantity: int | None = None


class ChannelStock(Protocol):
    """One channel's stock: read what it shows, set a new quantity."""

    def current(self, sku: str, location: str) -> Shown: ...

    def set(self, sku: str, location: str, quantity: int, shown: Shown, reference: str) -> str | None:
        """Set the quantity (compare-and-set against ``shown`` where the channel can); None
        when applied, else why not."""


@dataclass
class SyncSummary:
    """What one pass of the action did."""

    pushed: int = 0
    unchanged: int = 0
    already_applied: int = 0
    skipped: list[str] = field(default_factory=list)



def sync_stock(
    queue: Iterable[Mapping[str, Any]],
    ledger: StockPushLedger,
    channels: Mapping[str, ChannelStock],
    now: Callable[[], datetime] = decision_now,
) -> SyncSummary:
    """Push every changed quantity once; safe to call any number of times."""
    summary = SyncSummary()
    for row in queue:
        channel = channels.get(row["channel"])
        if channel is None:
            continue
        sku, location, target = row["sku"], row["location"] or ALL_LOCATIONS, int(row["quantity"])
        last = ledger.last_pushed(row["channel"], sku, location)
        if last == target:
            summary.unchanged += 1
            continue
        done_before = ledger.pushes_done(row["channel"], sku, location)
        key = stock_push_key(row["channel"], sku, location, last, target, done_before)
        ledger.record_pending(key, row["channel"], sku, location, last, target, now())
        where = f"{row['channel']} {sku} at {location}"
        try:
            summary.pushed += _push(channel, ledger, key, where, sku, location, target, now, summary)
        except HTTPError as error:
            # The channel refused this one push; the others still go, this one next pass.
            ledger.record_skipped(key, now(), str(error))
            summary.skipped.append(f"{where}: {error}")
    return summary


def _push(
    channel: ChannelStock,
    ledger: StockPushLedger,
    key: str,
    where: str,
    sku: str,
    location: str,
    target: int,
    now: Callable[[], datetime],
    summary: SyncSummary,
) -> int:
    """Read, then set if needed; 1 when a write was made."""
    shown = channel.current(sku, location)
    if not shown.known:
        ledger.record_skipped(key, now(), "the channel does not know this SKU or location")
        summary.skipped.append(f"{where}: unknown to the channel")
        return 0
    if shown.quantity == target:
        # Set by an earlier attempt that crashed before recording it, or already right.
        ledger.record_done(key, now(), "already showing the target")
        summary.already_applied += 1
        return 0
    try:
        refused = channel.set(sku, location, target, shown, reference=f"orderloop://stock/{key[:16]}")
    except HTTPError:
        if _shows(channel, sku, location, target):  # the answer was lost, not the write
            outcome = f"set from {shown.quantity}; its answer was lost, the channel shows it"
            ledger.record_done(key, now(), outcome)
            return 1
        raise
    if refused is not None:
        if _shows(channel, sku, location, target):
            # A repeat of a write that had landed (its first answer lost) is refused as stale.
            ledger.record_done(key, now(), f"set from {shown.quantity}; the channel shows it ({refused})")
            return 1
        ledger.record_skipped(key, now(), refused)
        summary.skipped.append(f"{where}: {refused}")
        return 0
    ledger.record_done(key, now(), f"set from {shown.quantity}")
    return 1


def _shows(channel: ChannelStock, sku: str, location: str, target: int) -> bool:
    """Whether the channel now shows ``target``: asked after a write whose outcome is unclear, so
    the ledger records what the channel received, not what the answer said."""
    try:
        return channel.current(sku, location).quantity == target
    except HTTPError:
        return False
