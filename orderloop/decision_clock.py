"""The time orderloop decides at: which rule version is in force, and what the ledgers record.

It is the wall clock, except while a pass replays a simulated past (the demo's history, in
``orderloop.demo_history``): then ``ORDERLOOP_DECISION_TIME`` holds the simulated world's time,
so a rule change dated inside that past governs the decisions made after it, as it would have.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

DECISION_TIME_ENV = "ORDERLOOP_DECISION_TIME"


def decision_now() -> datetime:
    """Now for decisions, naive UTC (how the warehouse stores times)."""
    fixed = os.environ.get(DECISION_TIME_ENV)
    if fixed:
        at = datetime.fromisoformat(fixed)
        return (at.astimezone(UTC) if at.tzinfo else at).replace(tzinfo=None)
    return datetime.now(UTC).replace(tzinfo=None)


@contextmanager
def deciding_at(at: datetime) -> Iterator[None]:
    """Decide at ``at`` (aware) for the length of the block, in this process and its children."""
    previous = os.environ.get(DECISION_TIME_ENV)
    os.environ[DECISION_TIME_ENV] = at.astimezone(UTC).isoformat()
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(DECISION_TIME_ENV, None)
        else:
            os.environ[DECISION_TIME_ENV] = previous
