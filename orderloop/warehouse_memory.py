"""How much memory DuckDB may take for dbt's builds, dlt's loads and publication, before it
spills to disk.

DuckDB's own default is 80% of the machine's memory. orderloop shares the machine with
Dagster, the dashboards and the connectors, and a build that takes 80% of it leaves them
little (at 10M orders a dbt build held 19 GiB of 24). Beyond its limit DuckDB spills joins,
aggregates and sorts to a temporary folder beside the warehouse, so a smaller limit trades
some speed for a machine that keeps working (docs/PERFORMANCE.md measures both).

``ORDERLOOP_DUCKDB_MEMORY_LIMIT`` (``8GB``, ``6GiB``, ``512MB``) overrides the default; the dbt
profile, the connectors' destination and publication (pipelines/publishing.py) read it, and
``orderloop.environment`` exports it for every command.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

ENV_VAR = "ORDERLOOP_DUCKDB_MEMORY_LIMIT"
# A third of the machine: measured at 10M orders, the build that held 19 GiB at DuckDB's
# default finishes within this by spilling (docs/PERFORMANCE.md).
DEFAULT_SHARE = 1 / 3
FLOOR_MIB = 1024
_AMOUNT = re.compile(r"^\s*\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)


class MemoryLimitError(ValueError):
    """An override DuckDB would refuse, named before any build starts."""


def physical_memory_mib() -> int:
    """The machine's memory in MiB (Linux and macOS both answer sysconf)."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1024 * 1024)


def duckdb_memory_limit(env: Mapping[str, str] | None = None) -> str:
    """The override if one is set (checked), else a share of the machine, as DuckDB reads it."""
    env = os.environ if env is None else env
    override = env.get(ENV_VAR, "").strip()
    if override:
        if not _AMOUNT.match(override):
            raise MemoryLimitError(
                f"{ENV_VAR}={override!r} is not an amount DuckDB accepts: a number and a unit,"
                " such as 8GB or 6GiB"
            )
        return override
    return f"{max(FLOOR_MIB, int(physical_memory_mib() * DEFAULT_SHARE))}MiB"
