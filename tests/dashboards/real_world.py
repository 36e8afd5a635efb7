"""The dashboards' built world (conftest.built_warehouse), shared with the tests that check its history."""

from __future__ import annotations

from datetime import UTC, datetime

# The demo's own history (orderloop.demo_history), ending Friday 2026-12-04 11:00 UTC: by hand
# until the automation went live on Tuesday 1 December, then orderloop's passes, with the later
# rule changes from Wednesday 17:00, so automation_impact measures real before/after differences.
REAL_WORLD_NOW = datetime(2026, 12, 4, 11, 0, tzinfo=UTC)
REAL_WORLD_DAYS = 14
REAL_WORLD_AUTOMATED_DAYS = 3
REAL_WORLD_SEED = 11
