"""The subset of Shopify's search syntax that the `orders(query:)` argument understands here.

Grammar handled: terms `field:value` with comparators `:`, `:>`, `:>=`, `:<`, `:<=`, values bare or
quoted ('...' or "..."), implicit or explicit AND, OR between terms, `-field:` / `NOT field:` negation
and free-text words. Naive dates/datetimes are read in the shop's time zone (Europe/London), as Shopify
does; unknown fields are ignored and reported back as search warnings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sandbox.timeutil import LONDON, parse_iso

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<conn>AND|OR)(?=\s|$)
      | (?P<neg>-|NOT\s+)?(?P<field>[A-Za-z_][\w.]*):(?P<op><=|>=|<|>|=)?\s*(?P<val>'[^']*'|"[^"]*"|[^\s]+)
      | (?P<word>'[^']*'|"[^"]*"|[^\s]+)
    )""",
    re.VERBOSE,
)
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

DATE_FIELDS = {"created_at", "updated_at", "processed_at"}
FINANCIAL = {
    "paid": {"PAID"},
    "pending": {"PENDING"},
    "authorized": {"AUTHORIZED"},
    "refunded": {"REFUNDED"},
    "partially_refunded": {"PARTIALLY_REFUNDED"},
    "partially_paid": {"PARTIALLY_PAID"},
    "voided": {"VOIDED"},
    "expired": {"EXPIRED"},
    "unpaid": {"PENDING", "AUTHORIZED"},
}
FULFILMENT = {
    "shipped": {"FULFILLED"},
    "fulfilled": {"FULFILLED"},
    "partial": {"PARTIALLY_FULFILLED"},
    "unshipped": {"UNFULFILLED"},
    "unfulfilled": {"UNFULFILLED"},
}
KNOWN_FIELDS = DATE_FIELDS | {"status", "financial_status", "fulfillment_status", "name", "id", "email"}


class SearchSyntaxError(ValueError):
    """A value that cannot be interpreted (e.g. an unparseable date)."""


@dataclass(frozen=True)
class Term:
    """One `field:op value` condition (field None means free text)."""

    field: str | None
    op: str
    value: str
    negated: bool = False


@dataclass
class SearchFilter:
    """OR of AND-groups of terms; `warnings` lists ignored fields."""

    groups: list[list[Term]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)

    def matches(self, record: Mapping[str, Any]) -> bool:
        """Whether an order record (DB column names) satisfies the query."""
        if not self.groups:
            return True
        return any(all(_term_matches(t, record) for t in group) for group in self.groups)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def parse_search(query: str | None) -> SearchFilter:
    """Parse a Shopify search string into a filter."""
    result = SearchFilter()
    if not query or not query.strip():
        return result
    group: list[Term] = []
    for match in _TOKEN.finditer(query):
        if match.group("conn") == "OR":
            if group:
                result.groups.append(group)
            group = []
            continue
        if match.group("conn") == "AND" or not match.group(0).strip():
            continue
        if match.group("field"):
            name = match.group("field").lower()
            if name not in KNOWN_FIELDS:
                result.warnings.append(
                    {
                        "field": name,
                        "message": "Invalid search field for this query.",
                        "code": "invalid_field",
                    }
                )
                continue
            term = Term(
                name, match.group("op") or ":", _unquote(match.group("val")), bool(match.group("neg"))
            )
            if name in DATE_FIELDS:
                _date_bounds(term)  # validate early so errors surface as GraphQL errors
            group.append(term)
        else:
            group.append(Term(None, ":", _unquote(match.group("word"))))
    if group:
        result.groups.append(group)
    return result


def _date_bounds(term: Term) -> tuple[datetime, datetime]:
    """[start, end) instants a date or datetime value denotes (a whole London day for bare dates)."""
    value = term.value.strip()
    try:
        if _DATE_ONLY.match(value):
            start = datetime.fromisoformat(value).replace(tzinfo=LONDON)
            return parse_iso(start.isoformat()), parse_iso((start + timedelta(days=1)).isoformat())
        moment = parse_iso(value, naive_tz=LONDON)
    except ValueError as exc:
        raise SearchSyntaxError(f"Invalid date value for {term.field}: {term.value!r}") from exc
    return moment, moment + timedelta(microseconds=1)


def _compare(op: str, actual: Any, start: Any, end: Any) -> bool:
    if op == ">":
        return actual >= end
    if op == ">=":
        return actual >= start
    if op == "<":
        return actual < start
    if op == "<=":
        return actual < end
    return start <= actual < end


def _term_matches(term: Term, record: Mapping[str, Any]) -> bool:
    return _raw_matches(term, record) != term.negated


def _raw_matches(term: Term, record: Mapping[str, Any]) -> bool:
    value = term.value.lower()
    if term.field is None:
        haystack = " ".join(
            str(record.get(k) or "") for k in ("name", "email", "ship_first_name", "ship_last_name")
        ).lower()
        return value.lstrip("#") in haystack
    if term.field in DATE_FIELDS:
        raw = record.get(term.field)
        if raw is None:
            return False
        start, end = _date_bounds(term)
        return _compare(term.op, parse_iso(raw), start, end)
    if term.field == "id":
        try:
            wanted = int(value.rsplit("/", 1)[-1])
        except ValueError:
            return False
        return _compare(term.op, int(record["id"]), wanted, wanted + 1)
    if term.field == "name":
        return str(record["name"]).lstrip("#").lower() == value.lstrip("#")
    if term.field == "email":
        return str(record.get("email") or "").lower() == value
    if term.field == "financial_status":
        return value == "any" or record["financial_status"] in FINANCIAL.get(value, set())
    if term.field == "fulfillment_status":
        return value == "any" or record["fulfillment_status"] in FULFILMENT.get(value, set())
    if term.field == "status":
        closed = record.get("closed_at") is not None
        cancelled = record.get("cancelled_at") is not None
        return {
            "open": not closed and not cancelled,
            "closed": closed,
            "cancelled": cancelled,
            "not_closed": not closed,
            "any": True,
        }.get(value, False)
    return True
