"""Helpers shared by the connector tests: reading the warehouse, dlt's log, the sandbox's request log."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import duckdb
from dlt.common import logger as dlt_logger


def warehouse_scalar(paths, sql: str):
    """One value from the warehouse, read-only."""
    with duckdb.connect(str(paths.warehouse), read_only=True) as conn:
        return conn.execute(sql).fetchone()[0]


def assert_retry_after_honoured(log: list[dict]) -> None:
    """Every 429 in the sandbox's request log was retried, the same request, after Retry-After (>= 1 s)."""
    assert {429, 503} <= {r["status"] for r in log}, "the faults should have fired"
    for refused, retry in zip(log, log[1:], strict=False):
        if refused["status"] == 429:
            assert (retry["path"], retry["query"]) == (refused["path"], refused["query"])
            waited = datetime.fromisoformat(retry["at"]) - datetime.fromisoformat(refused["at"])
            assert waited.total_seconds() >= 0.9, "Retry-After (>= 1 s) should be honoured"


@contextmanager
def dlt_debug_log_into(caplog) -> Iterator[None]:
    """dlt's own logger at DEBUG into caplog (it does not propagate to the root logger)."""
    logger = dlt_logger.LOGGER
    level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(caplog.handler)
    try:
        yield
    finally:
        logger.removeHandler(caplog.handler)
        logger.setLevel(level)
