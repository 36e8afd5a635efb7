"""The exception queue and one order's timeline, as the Exception queue page reads them.

Open exceptions come from ``marts.exception_queue`` (oldest first, with its age bucket and
``at_risk_today``); the global filters apply through the order (``ORDERS_IN_SCOPE_SQL``), the
page's own filters (reason, owner, age bucket) as bound lists. The timeline is every canonical
event of the order (``marts.fct_order_events``) with the rule version behind each decision,
and the order's exceptions with the owner rule version that assigned them.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from dashboards.filters import ORDERS_IN_SCOPE_SQL, OrderFilters
from dashboards.queries import read_published

# The buckets exception_queue assigns, youngest first (the mart's own order).
AGE_BUCKETS = ("under 4h", "4-24h", "1-3 days", "over 3 days")

OPEN_EXCEPTIONS_SQL = (
    """
select
    order_name, channel, warehouse_id, order_status, reason, detail, owner, holds_fulfilment,
    opened_at, cast(age_hours as double) as age_hours, age_bucket, despatch_due_at, at_risk_today,
    owner_rule_version, order_id, exception_id
from marts.exception_queue
where order_id in ("""
    + ORDERS_IN_SCOPE_SQL
    + """)
    and (cast($reasons as varchar[]) is null or list_contains(cast($reasons as varchar[]), reason))
    and (cast($owners as varchar[]) is null or list_contains(cast($owners as varchar[]), owner))
    and (cast($buckets as varchar[]) is null or list_contains(cast($buckets as varchar[]), age_bucket))
order by opened_at, order_name, reason
"""
)

QUEUE_OPTIONS_SQL = """
select
    list(distinct reason order by reason) as reasons,
    list(distinct owner order by owner) filter (where owner is not null) as owners,
    list(distinct age_bucket) as buckets
from marts.exception_queue
"""

ORDER_TIMELINE_SQL = """
select occurred_at, event_type, source, actor, reason, rule_version, event_id
from marts.fct_order_events
where order_id = $order_id
order by occurred_at, event_id
"""

ORDER_EXCEPTIONS_SQL = """
select
    reason, detail, owner, owner_rule_version, holds_fulfilment, opened_at, resolved_at, resolution,
    is_open
from marts.fct_exceptions
where order_id = $order_id
order by opened_at, reason
"""


def _listed(values: Sequence[str]) -> list[str] | None:
    return list(values) or None


def _as_tuple(values: object) -> tuple[str, ...]:
    return tuple(str(v) for v in values) if pd.api.types.is_list_like(values) else ()


def queue_options() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Reasons, owners and age buckets present in the open queue (buckets youngest first)."""
    row = read_published(QUEUE_OPTIONS_SQL).iloc[0]
    present = set(_as_tuple(row["buckets"]))
    buckets = tuple(b for b in AGE_BUCKETS if b in present) + tuple(sorted(present - set(AGE_BUCKETS)))
    return _as_tuple(row["reasons"]), _as_tuple(row["owners"]), buckets


def open_exceptions(
    filters: OrderFilters,
    reasons: Sequence[str] = (),
    owners: Sequence[str] = (),
    buckets: Sequence[str] = (),
) -> pd.DataFrame:
    """Open exceptions of orders in scope, oldest first; empty selections mean all."""
    params = {**filters.params(), "reasons": _listed(reasons), "owners": _listed(owners),
              "buckets": _listed(buckets)}
    return read_published(OPEN_EXCEPTIONS_SQL, params)


def order_timeline(order_id: str) -> pd.DataFrame:
    """Every canonical event of one order across all systems, in the order it happened."""
    return read_published(ORDER_TIMELINE_SQL, {"order_id": order_id})


def order_exceptions(order_id: str) -> pd.DataFrame:
    """All exceptions of one order, open and resolved, with who owns them and under which rules."""
    return read_published(ORDER_EXCEPTIONS_SQL, {"order_id": order_id})
