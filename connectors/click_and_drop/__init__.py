"""Royal Mail Click & Drop API v1: create shipments (labels)."""

from connectors.click_and_drop.client import BookingResult, ClickAndDropClient, ClickAndDropError

__all__ = ["BookingResult", "ClickAndDropClient", "ClickAndDropError"]
