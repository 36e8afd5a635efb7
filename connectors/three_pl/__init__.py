"""The 3PL's pick-task API (what orderloop releases pick batches to the warehouses with)."""

from connectors.three_pl.pick_batches import BatchOutcome, OrderRelease, PickBatchClient, ThreePLError

__all__ = ["BatchOutcome", "OrderRelease", "PickBatchClient", "ThreePLError"]
