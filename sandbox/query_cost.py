"""Shopify's calculated query cost and the leaky bucket that throttles on it.

Cost rules (Shopify's published method): scalars and enums 0, objects 1, a connection 2 plus
`first`/`last` times the cost of one node, a list of objects `first` (or 1) times the object, and a
mutation field 10 (in place of the 1 its payload object would cost) plus what its payload selects.
Lists and connections nest at any depth (e.g. Order.refunds, a list, holding Refund.refundLineItems, a
connection), each level multiplying what it holds. The requested cost is computed before execution;
the actual cost counts the nodes really returned and the difference is refunded to the bucket (a
mutation keeps its 10 whatever it returns).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
    is_leaf_type,
)
from graphql.execution.values import get_argument_values

MAX_PAGE_SIZE = 250
MUTATION_COST = 10


@dataclass(frozen=True)
class ThrottleConfig:
    """Bucket size, restore rate (points/second) and the single-query cost ceiling."""

    maximum_available: float = 2000.0
    restore_rate: float = 100.0
    max_query_cost: int = 1000


class LeakyBucket:
    """Thread-safe cost bucket that refills continuously at `restore_rate`."""

    def __init__(self, config: ThrottleConfig, clock: Callable[[], float] = time.monotonic):
        self.config = config
        self._clock = clock
        self._available = config.maximum_available
        self._stamp = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._available = min(
            self.config.maximum_available, self._available + (now - self._stamp) * self.config.restore_rate
        )
        self._stamp = now

    def try_take(self, cost: float) -> bool:
        """Deduct `cost` if that much is available; False means the request is throttled."""
        with self._lock:
            self._refill()
            if cost > self._available:
                return False
            self._available -= cost
            return True

    def refund(self, amount: float) -> None:
        """Give back the part of the requested cost that was not used."""
        with self._lock:
            self._refill()
            self._available = min(self.config.maximum_available, self._available + max(amount, 0))

    def status(self) -> dict[str, float]:
        """The `throttleStatus` object."""
        with self._lock:
            self._refill()
            return {
                "maximumAvailable": float(self.config.maximum_available),
                "currentlyAvailable": float(int(self._available)),
                "restoreRate": float(self.config.restore_rate),
            }


class PageSizeError(ValueError):
    """A connection or list asked for more than 250 records, or for none."""


@dataclass
class _Walk:
    schema: GraphQLSchema
    fragments: Mapping[str, FragmentDefinitionNode]
    variables: Mapping[str, Any]
    check_pages: bool = False
    mutation: bool = False

    def args(self, definition: GraphQLField, node: FieldNode) -> dict[str, Any]:
        """Argument values with variables and defaults applied (as execution will see them)."""
        try:
            return get_argument_values(definition, node, self.variables)
        except GraphQLError:
            return {}

    def fields(
        self, parent: GraphQLObjectType, selection_set: SelectionSetNode | None
    ) -> Iterator[tuple[FieldNode, GraphQLField]]:
        """Yield (field node, field definition) pairs, flattening fragments."""
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if not name.startswith("__") and name in parent.fields:
                    yield selection, parent.fields[name]
            elif isinstance(selection, InlineFragmentNode):
                target = parent
                if selection.type_condition is not None:
                    target = self.schema.get_type(selection.type_condition.name.value) or parent
                yield from self.fields(target, selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    target = self.schema.get_type(fragment.type_condition.name.value) or parent
                    yield from self.fields(target, fragment.selection_set)

    def cost(
        self,
        parent: GraphQLObjectType,
        selection_set: SelectionSetNode | None,
        data: Any = None,
        actual: bool = False,
        root: bool = False,
    ) -> int:
        """Cost of the selections under `parent` (for `actual`, `data` is the resolved object; `root`
        marks the operation's own selections, where a mutation field costs `MUTATION_COST`)."""
        total = 0
        for node, definition in self.fields(parent, selection_set):
            named = get_named_type(definition.type)
            if is_leaf_type(named) or not isinstance(named, GraphQLObjectType):
                continue
            key = node.alias.value if node.alias else node.name.value
            child = data.get(key) if isinstance(data, dict) else None
            args = self.args(definition, node)
            size = args.get("first") if args.get("first") is not None else args.get("last")
            if self.check_pages and size is not None and not 0 <= int(size) <= MAX_PAGE_SIZE:
                raise PageSizeError(
                    f"The {'first' if args.get('first') is not None else 'last'} argument on "
                    f"'{node.name.value}' must be between 0 and {MAX_PAGE_SIZE}, got {size}."
                )
            wrapped = (
                definition.type.of_type if isinstance(definition.type, GraphQLNonNull) else definition.type
            )
            if root and self.mutation:
                payload = self.cost(named, node.selection_set, child, actual)
                total += MUTATION_COST + (payload if child is not None or not actual else 0)
            elif named.name.endswith("Connection"):
                total += 2 + self.connection_cost(named, node, child, int(size or 0), actual)
            elif isinstance(wrapped, GraphQLList):
                if actual:
                    total += sum(1 + self.cost(named, node.selection_set, item, True) for item in child or [])
                else:
                    total += int(size or 1) * (1 + self.cost(named, node.selection_set))
            elif actual:
                total += 0 if child is None else 1 + self.cost(named, node.selection_set, child, True)
            else:
                total += 1 + self.cost(named, node.selection_set)
        return total

    def connection_cost(
        self, connection: GraphQLObjectType, node: FieldNode, data: Any, size: int, actual: bool
    ) -> int:
        """Per-node cost times the page size (or the nodes actually returned)."""
        per_node = 0
        returned = 0
        for sub, definition in self.fields(connection, node.selection_set):
            key = sub.alias.value if sub.alias else sub.name.value
            items = data.get(key) if isinstance(data, dict) else None
            if sub.name.value == "nodes":
                node_type = get_named_type(definition.type)
                if actual:
                    per = [1 + self.cost(node_type, sub.selection_set, item, True) for item in items or []]
                    per_node, returned = max(per_node, sum(per)), max(returned, 1)
                else:
                    per_node = max(per_node, 1 + self.cost(node_type, sub.selection_set))
            elif sub.name.value == "edges":
                edge_type = get_named_type(definition.type)
                for edge_sub, edge_def in self.fields(edge_type, sub.selection_set):
                    if edge_sub.name.value != "node":
                        continue
                    node_type = get_named_type(edge_def.type)
                    node_key = edge_sub.alias.value if edge_sub.alias else "node"
                    if actual:
                        per = [
                            1 + self.cost(node_type, edge_sub.selection_set, (edge or {}).get(node_key), True)
                            for edge in items or []
                        ]
                        per_node, returned = max(per_node, sum(per)), max(returned, 1)
                    else:
                        per_node = max(per_node, 1 + self.cost(node_type, edge_sub.selection_set))
        if actual:
            return per_node if returned else 0
        return size * per_node


def requested_cost(
    schema: GraphQLSchema,
    operation_root: GraphQLObjectType,
    selection_set: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    mutation: bool = False,
) -> int:
    """Worst-case cost before execution; raises PageSizeError for page sizes above 250."""
    walk = _Walk(schema, fragments, variables, check_pages=True, mutation=mutation)
    return max(1, walk.cost(operation_root, selection_set, root=True))


def actual_cost(
    schema: GraphQLSchema,
    operation_root: GraphQLObjectType,
    selection_set: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    data: Mapping[str, Any] | None,
    mutation: bool = False,
) -> int:
    """Cost of what was really returned."""
    walk = _Walk(schema, fragments, variables, mutation=mutation)
    return max(1, walk.cost(operation_root, selection_set, dict(data or {}), actual=True, root=True))
