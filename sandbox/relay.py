"""Cursor pagination over an already sorted list, as Shopify connections behave.

Cursors are opaque base64 JSON holding the sort value and id of a row, so a page boundary stays
put while other rows are inserted or re-sorted.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class CursorError(ValueError):
    """An `after`/`before` value that this connection did not issue."""


def encode_cursor(key: tuple[Any, int]) -> str:
    """Opaque cursor for a (sort value, id) key."""
    raw = json.dumps({"last_id": key[1], "last_value": key[0]}, separators=(",", ":"))
    return base64.b64encode(raw.encode()).decode()


def decode_cursor(cursor: str, value_type: type) -> tuple[Any, int]:
    """Back to a (sort value, id) key; rejects cursors of another shape or sort key."""
    try:
        data = json.loads(base64.b64decode(cursor.encode(), validate=True))
        key = (data["last_value"], data["last_id"])
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise CursorError(f"Invalid cursor: {cursor}") from exc
    if not isinstance(key[1], int) or not isinstance(key[0], value_type):
        raise CursorError(f"Invalid cursor: {cursor}")
    return key


@dataclass
class Page(Generic[T]):
    """One page of a connection."""

    items: list[T]
    cursors: list[str]
    has_next: bool
    has_previous: bool

    def connection(self, to_node: Callable[[T], Any]) -> dict[str, Any]:
        """The `{edges, nodes, pageInfo}` object."""
        nodes = [to_node(item) for item in self.items]
        return {
            "edges": [{"cursor": c, "node": n} for c, n in zip(self.cursors, nodes, strict=True)],
            "nodes": nodes,
            "pageInfo": {
                "hasNextPage": self.has_next,
                "hasPreviousPage": self.has_previous,
                "startCursor": self.cursors[0] if self.cursors else None,
                "endCursor": self.cursors[-1] if self.cursors else None,
            },
        }


def paginate(
    items: Sequence[T],
    key: Callable[[T], tuple[Any, int]],
    value_type: type,
    *,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    reverse: bool,
) -> Page[T]:
    """Slice `items` (sorted ascending by `key`, reversed here if asked) by first/after/last/before."""
    ordered = list(reversed(items)) if reverse else list(items)

    def beyond(a: tuple[Any, int], b: tuple[Any, int]) -> bool:
        return a < b if reverse else a > b

    lo, hi = 0, len(ordered)
    if after is not None:
        after_key = decode_cursor(after, value_type)
        while lo < hi and not beyond(key(ordered[lo]), after_key):
            lo += 1
    if before is not None:
        before_key = decode_cursor(before, value_type)
        hi = lo
        while hi < len(ordered) and beyond(before_key, key(ordered[hi])):
            hi += 1
    if first is not None:
        hi = min(hi, lo + first)
    if last is not None:
        lo = max(lo, hi - last)
    chosen = ordered[lo:hi]
    return Page(
        chosen, [encode_cursor(key(i)) for i in chosen], has_next=hi < len(ordered), has_previous=lo > 0
    )
