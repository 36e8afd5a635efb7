"""dlt source of public holidays from the ``holidays`` package.

SLA deadlines skip weekends and public holidays of the warehouse's region. The
holiday rules live in a maintained library rather than a hand-kept CSV; this source
lands them as a raw table so dbt joins them like any other input.
"""

from __future__ import annotations

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
def public_holidays(regions: list[str], first_year: int, last_year: int) -> Iterator[dict[str, Any]]:
    for region in regions:
        country, _, subdivision = region.partition("-")
        calendar = holidays.country_holidays(
            country, subdiv=subdivision or None, years=range(first_year, last_year + 1)
        )
        for day, name in sorted(calendar.items()):
            yield {"region": region, "holiday_date": day, "holiday_name": name}
