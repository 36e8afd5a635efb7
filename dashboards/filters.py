"""Which orders a page looks at: the shared sidebar filters and their SQL form.

The user's choices live in ``st.session_state`` under keys that do not belong to any widget, so
they survive switching pages (Streamlit drops a widget's own state when it is not rendered).
Each page re-creates the widgets from those keys via ``sidebar_filters``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from dashboards.queries import read_published

# Persisted choices (shared by all pages) and the per-render widget keys that mirror them.
CHANNELS_KEY = "filters.channels"
WAREHOUSES_KEY = "filters.warehouses"
PLACED_RANGE_KEY = "filters.placed_range"
CHANNELS_WIDGET_KEY = "_widget.filters.channels"
WAREHOUSES_WIDGET_KEY = "_widget.filters.warehouses"
PLACED_RANGE_WIDGET_KEY = "_widget.filters.placed_range"

# From the counted mart (orders per UTC placed day, channel, warehouse and cycle time): the same
# answer as over every order of fct_orders, from far fewer rows, on every page.
FILTER_OPTIONS_SQL = """
select
    cast(coalesce(sum(orders), 0) as bigint) as orders,
    list(distinct channel order by channel) filter (where channel is not null) as channels,
    list(distinct warehouse_id order by warehouse_id) filter (where warehouse_id is not null) as warehouses,
    min(placed_on) as first_placed_on,
    max(placed_on) as last_placed_on
from marts.kpi_order_cycle_times
"""

# The SQL form of OrderFilters.params(); a constant, appended to the WHERE clause of mart queries.
# A null parameter means "no restriction". placed_at is naive UTC, so dates are UTC days.
ORDER_SCOPE_SQL = """
    (cast($channels as varchar[]) is null or list_contains(cast($channels as varchar[]), channel))
    and (cast($warehouses as varchar[]) is null
        or list_contains(cast($warehouses as varchar[]), warehouse_id))
    and (cast($placed_from as date) is null or placed_at >= cast($placed_from as date))
    and (cast($placed_to as date) is null or placed_at < cast($placed_to as date) + 1)
"""

# The same scope for marts at day grain (placed_on, a UTC date): equal to ORDER_SCOPE_SQL, as an
# order placed at any time of a day in the range is placed on that day.
DAY_SCOPE_SQL = """
    (cast($channels as varchar[]) is null or list_contains(cast($channels as varchar[]), channel))
    and (cast($warehouses as varchar[]) is null
        or list_contains(cast($warehouses as varchar[]), warehouse_id))
    and (cast($placed_from as date) is null or placed_on >= cast($placed_from as date))
    and (cast($placed_to as date) is null or placed_on <= cast($placed_to as date))
"""


@dataclass(frozen=True)
class FilterOptions:
    """What the published data offers to filter on."""

    orders: int
    channels: tuple[str, ...]
    warehouses: tuple[str, ...]
    first_placed_on: dt.date | None
    last_placed_on: dt.date | None


@dataclass(frozen=True)
class OrderFilters:
    """The orders in scope: channels and warehouses (empty = all) and an inclusive UTC range of
    placed dates."""

    channels: tuple[str, ...] = ()
    warehouses: tuple[str, ...] = ()
    placed_from: dt.date | None = None
    placed_to: dt.date | None = None

    def params(self) -> dict[str, object]:
        """Bound parameters for ``ORDER_SCOPE_SQL``; user input never becomes SQL text."""
        return {
            "channels": list(self.channels) or None,
            "warehouses": list(self.warehouses) or None,
            "placed_from": self.placed_from,
            "placed_to": self.placed_to,
        }


def _as_date(value: object) -> dt.date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def _as_tuple(values: object) -> tuple[str, ...]:
    return tuple(str(v) for v in values) if pd.api.types.is_list_like(values) else ()


def load_filter_options() -> FilterOptions:
    """Channels, warehouses and placed-date bounds of the published orders."""
    row = read_published(FILTER_OPTIONS_SQL).iloc[0]
    return FilterOptions(
        orders=int(row["orders"]),
        channels=_as_tuple(row["channels"]),
        warehouses=_as_tuple(row["warehouses"]),
        first_placed_on=_as_date(row["first_placed_on"]),
        last_placed_on=_as_date(row["last_placed_on"]),
    )


def clamp_range(chosen: Sequence[dt.date] | None, first: dt.date, last: dt.date) -> tuple[dt.date, ...]:
    """Fit a remembered range into the dates present now (a new publication may have moved them)."""
    if not chosen:
        return (first, last)
    start = min(max(chosen[0], first), last)
    if len(chosen) == 1:  # the user has picked only the start so far
        return (start,)
    end = max(min(chosen[-1], last), start)
    return (start, end)


def _persist(widget_key: str, state_key: str) -> None:
    st.session_state[state_key] = st.session_state[widget_key]


def _reset() -> None:
    for key in (CHANNELS_KEY, WAREHOUSES_KEY, PLACED_RANGE_KEY):
        st.session_state.pop(key, None)


def sidebar_filters(options: FilterOptions) -> OrderFilters:
    """Render the shared sidebar filters and return the orders in scope.

    Widgets are re-seeded from the persisted keys on every run; only a user's change is persisted,
    so an untouched date range keeps following the data as new publications arrive.
    """
    state = st.session_state
    state[CHANNELS_WIDGET_KEY] = [c for c in state.get(CHANNELS_KEY, []) if c in options.channels]
    state[WAREHOUSES_WIDGET_KEY] = [w for w in state.get(WAREHOUSES_KEY, []) if w in options.warehouses]
    first, last = options.first_placed_on, options.last_placed_on
    if first is not None and last is not None:
        state[PLACED_RANGE_WIDGET_KEY] = clamp_range(state.get(PLACED_RANGE_KEY), first, last)

    with st.sidebar:
        st.header("Filters")
        channels = st.multiselect(
            "Channel",
            options=list(options.channels),
            key=CHANNELS_WIDGET_KEY,
            placeholder="All channels",
            help="Leave empty for all channels.",
            on_change=_persist,
            args=(CHANNELS_WIDGET_KEY, CHANNELS_KEY),
        )
        warehouses = st.multiselect(
            "Warehouse",
            options=list(options.warehouses),
            key=WAREHOUSES_WIDGET_KEY,
            placeholder="All warehouses",
            help="Leave empty for all warehouses (an order's warehouse is the one that ships it).",
            on_change=_persist,
            args=(WAREHOUSES_WIDGET_KEY, WAREHOUSES_KEY),
        )
        placed: Sequence[dt.date] = ()
        if first is not None and last is not None:
            placed = st.date_input(
                "Placed between (UTC)",
                min_value=first,
                max_value=last,
                key=PLACED_RANGE_WIDGET_KEY,
                format="YYYY-MM-DD",
                on_change=_persist,
                args=(PLACED_RANGE_WIDGET_KEY, PLACED_RANGE_KEY),
            )
        st.button("Reset filters", on_click=_reset)

    placed = tuple(placed) if isinstance(placed, Sequence) else (placed,)
    return OrderFilters(
        channels=tuple(channels),
        warehouses=tuple(warehouses),
        placed_from=placed[0] if placed else None,
        # While only the start is picked, keep everything after it.
        placed_to=placed[1] if len(placed) > 1 else None,
    )


# For marts other than fct_orders: restrict them with ``order_id in (...)`` this subquery.
ORDERS_IN_SCOPE_SQL = "select order_id from marts.fct_orders where" + ORDER_SCOPE_SQL
