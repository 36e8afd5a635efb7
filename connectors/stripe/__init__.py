"""Stripe Events API source."""

from connectors.stripe.source import DEFAULT_EVENT_TYPES, stripe_source

__all__ = ["DEFAULT_EVENT_TYPES", "stripe_source"]
