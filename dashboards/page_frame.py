"""What every page does before its own content: the empty state when nothing is published
yet, the freshness line, and the shared sidebar filters."""

from __future__ import annotations

from dashboards.filters import FilterOptions, OrderFilters, load_filter_options, sidebar_filters
from dashboards.publication import show_empty_state, show_last_refreshed


def start_page() -> tuple[FilterOptions, OrderFilters] | None:
    """The filter options and the filters chosen, or None (after saying what to do) when
    the published copy holds no orders yet."""
    options = load_filter_options()
    if options.orders == 0:
        show_empty_state()
        return None
    show_last_refreshed()
    return options, sidebar_filters(options)
