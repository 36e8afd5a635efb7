"""Postmark's transactional email API (what orderloop sends customer notifications with)."""

from connectors.postmark.client import (
    MAX_BATCH,
    BatchResult,
    OutgoingEmail,
    PostmarkClient,
    PostmarkError,
    PostmarkOutcomeUnknown,
)

__all__ = [
    "MAX_BATCH",
    "BatchResult",
    "OutgoingEmail",
    "PostmarkClient",
    "PostmarkError",
    "PostmarkOutcomeUnknown",
]
