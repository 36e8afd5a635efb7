"""Zendesk Support tickets (incremental export), for contact rates and reasons."""

from connectors.zendesk.source import zendesk_source

__all__ = ["zendesk_source"]
