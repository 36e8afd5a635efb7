"""Public holidays, the non-working days of the business calendar."""

from connectors.calendar.source import calendar_source

__all__ = ["calendar_source"]
