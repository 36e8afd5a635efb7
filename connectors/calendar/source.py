"""dlt source of public holidays from the ``holidays`` package.

SLA deadlines skip weekends and public holidays of the warehouse's region. The
holiday rules live in a maintained library rather than a hand-kept CSV; this source
lands them as a raw table so dbt joins them like any other input.

The holidays change only when the ``holidays`` package, the regions or the years do, yet every
pass runs this source: merging the same hundred rows again cost 0.6 to 0.9 s a pass
(docs/PERFORMANCE.md). The resource keeps a digest of what it last yielded in dlt's resource
state, committed with the load, and yields nothing while the rows are the same.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from typing import Any

import dlt
import holidays


@dlt.source(name="calendar")
def calendar_source(
    regions: Sequence[str] = ("GB-ENG",),
    first_year: int = 2020,
    last_year: int = 2030,
) -> Any:
    """Holidays per ``COUNTRY-SUBDIVISION`` region (e.g. ``GB-ENG``) for the given years."""
    return public_holidays(list(regions), first_year, last_year)


@dlt.resource(name="public_holidays", primary_key=["region", "holiday_date"], write_disposition="merge")
def public_holidays(regions: list[str], first_year: int, last_year: int) -> Iterator[list[dict[str, Any]]]:
    rows = []
    for region in regions:
        country, _, subdivision = region.partition("-")
        calendar = holidays.country_holidays(
            country, subdiv=subdivision or None, years=range(first_year, last_year + 1)
        )
        rows.extend({"region": region, "holiday_date": day, "holiday_name": name}
                    for day, name in sorted(calendar.items()))
    digest = hashlib.sha256(json.dumps(rows, default=str).encode()).hexdigest()
    state = dlt.current.resource_state()
    if state.get("digest") == digest:
        return
    yield rows
    state["digest"] = digest
