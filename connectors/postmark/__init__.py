"""Postmark's transactional email API (what orderloop sends customer notifications with)."""

from connectors.postmark.client import PostmarkClient, PostmarkError

__all__ = ["PostmarkClient", "PostmarkError"]
