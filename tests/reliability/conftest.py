"""Hypothesis profiles for the property-based bad-input tests: `orderloop` (the default, what
`make test` runs: a modest, derandomised number of examples, so CI is stable and quick) and `soak`
(many more, random each time; `HYPOTHESIS_PROFILE=soak`). No example database is written into the
project."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "orderloop",
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "soak", max_examples=1000, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "orderloop"))
