"""Shopify bulk query operations: `bulkOperationRunQuery`, `currentBulkOperation` and the JSONL file.

The contract, as Shopify documents it for the Admin GraphQL API:

- `bulkOperationRunQuery(query:)` starts the query in the background and answers at once with
  the operation (CREATED); `currentBulkOperation` then reports RUNNING, and COMPLETED (with
  `url`, `objectCount`, `fileSize`) or FAILED (with `errorCode`). One bulk query runs per shop at
  a time: a second gets a user error naming the running one. An invalid query is a user error.
- The query takes no page sizes and has no cost limit. It needs at least one connection, at
  most five, nested at most two deep.
- The file has one JSON object per line. A node of a nested connection is a line of its own,
  carrying `__parentId` (its parent's id), instead of sitting inside its parent. Before
  2025-07 the lines are grouped (every child right below its parent); 2025-07 added
  `groupObjects`, and from 2026-01 it defaults to false (children anywhere in the file).
- The file lives on storage, not on the shop: its URL is signed and needs no token. The sandbox
  refuses a download that sends the Shopify token, which would hand the token to a third party.

The operation runs in a thread on a snapshot of the world; its `createdAt` is the world clock.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    TypeInfo,
    TypeInfoVisitor,
    execute_sync,
    get_named_type,
    parse,
    validate,
    visit,
)
from graphql.language import FieldNode, Visitor
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from sandbox.timeutil import to_iso
from sandbox.world import opened, world_now

FILES_PATH = "/shopify-bulk-files"
MAX_CONNECTIONS = 5
MAX_CONNECTION_DEPTH = 2
GROUPING_ARGUMENT_SINCE = "2025-07"  # groupObjects exists from here
UNGROUPED_BY_DEFAULT_SINCE = "2026-01"
TERMINAL = ("COMPLETED", "FAILED", "CANCELED", "EXPIRED")
TOKEN_HEADER = "x-shopify-access-token"


@dataclass
class BulkOperation:
    """One bulk query: what BulkOperation's fields resolve from."""

    number: int
    query: str
    created_at: str
    grouped: bool
    status: str = "CREATED"
    error_code: str | None = None
    completed_at: str | None = None
    object_count: int = 0
    root_object_count: int = 0
    file_size: int | None = None
    file_name: str | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def node(self, base_url: str) -> dict[str, Any]:
        """The BulkOperation object as served."""
        return {
            "id": f"gid://shopify/BulkOperation/{self.number}",
            "type": "QUERY",
            "status": self.status,
            "errorCode": self.error_code,
            "createdAt": self.created_at,
            "completedAt": self.completed_at,
            "objectCount": str(self.object_count),
            "rootObjectCount": str(self.root_object_count),
            "fileSize": None if self.file_size is None else str(self.file_size),
            "url": f"{base_url}{FILES_PATH}/{self.file_name}?signature=sandbox" if self.file_name else None,
            "partialDataUrl": None,
            "query": self.query,
        }


class BulkOperations:
    """The shop's bulk queries: started from a request, run in a thread, files under `data_dir`."""

    def __init__(self, data_dir: Path, schema: GraphQLSchema, make_context: Any) -> None:
        """``make_context(conn)``: the resolvers' context for a bulk run on ``conn``."""
        self.data_dir = Path(data_dir)
        self.files = self.data_dir / "shopify_bulk"
        self.schema = schema
        self._make_context = make_context
        self._lock = threading.Lock()
        self._operations: list[BulkOperation] = []
        # How long a query runs at least: a real shop's take minutes; tests lengthen it to meet
        # a query still running (app.state.shopify_bulk).
        self.run_seconds = 0.0

    def current(self) -> BulkOperation | None:
        """The shop's latest bulk query, whatever its status."""
        with self._lock:
            return self._operations[-1] if self._operations else None

    def run_query(
        self, query: str, group_objects: bool | None, version: str, created_at: str
    ) -> tuple[BulkOperation | None, list[dict[str, Any]]]:
        """Start ``query``: (the operation, []) or (None, user errors)."""
        if group_objects is not None and version != "unstable" and version < GROUPING_ARGUMENT_SINCE:
            raise GraphQLError(
                f"Field 'bulkOperationRunQuery' doesn't accept argument 'groupObjects' in {version}"
            )
        problems = self._problems(query)
        if problems:
            return None, [{"field": ["query"], "message": f"Invalid bulk query: {p}"} for p in problems]
        if group_objects is None:
            group_objects = version != "unstable" and version < UNGROUPED_BY_DEFAULT_SINCE
        with self._lock:
            running = self._operations[-1] if self._operations else None
            if running is not None and running.status not in TERMINAL:
                message = (
                    "A bulk query operation for this app and shop is already in progress: "
                    f"gid://shopify/BulkOperation/{running.number}."
                )
                return None, [{"field": None, "message": message}]
            operation = BulkOperation(len(self._operations) + 1, query, created_at, group_objects)
            self._operations.append(operation)
        threading.Thread(target=self._run, args=(operation,), name="shopify-bulk", daemon=True).start()
        return operation, []

    def _problems(self, query: str) -> list[str]:
        try:
            document = parse(query)
        except GraphQLError as exc:
            return [exc.message]
        problems = [p.message for p in validate(self.schema, document)]
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if any(o.operation is not OperationType.QUERY for o in operations):
            problems.append("only queries can run in bulk")
        if problems:
            return problems
        depths = _connection_depths(self.schema, document)
        if not depths:
            problems.append("the query must contain at least one connection")
        if len(depths) > MAX_CONNECTIONS:
            problems.append(f"at most {MAX_CONNECTIONS} connections are allowed, found {len(depths)}")
        if max(depths, default=0) > MAX_CONNECTION_DEPTH:
            problems.append(f"connections may be nested at most {MAX_CONNECTION_DEPTH} levels deep")
        return problems

    def _run(self, operation: BulkOperation) -> None:
        operation.status = "RUNNING"
        time.sleep(self.run_seconds)
        try:
            with opened(self.data_dir) as conn:
                context = self._make_context(conn)
                result = execute_sync(self.schema, parse(operation.query), context_value=context)
                if context.malformed is not None:  # the orders it served broken, logged as a page's are
                    context.malformed.log(context.broken)
                finished = to_iso(world_now(conn))
            if result.errors or result.data is None:
                raise RuntimeError("; ".join(e.message for e in result.errors or []))
            self.files.mkdir(parents=True, exist_ok=True)
            name = f"bulk-{operation.number}.jsonl"
            lines = jsonl_lines(result.data, operation.grouped)
            roots = objects = 0
            with (self.files / name).open("w", encoding="utf-8") as out:
                for line in lines:
                    objects += 1
                    roots += "__parentId" not in line
                    out.write(json.dumps(line, separators=(",", ":")) + "\n")
            operation.object_count, operation.root_object_count = objects, roots
            operation.file_size = (self.files / name).stat().st_size
            operation.file_name = name if objects else None  # Shopify gives no URL for an empty result
            operation.completed_at, operation.status = finished, "COMPLETED"
        except Exception:  # noqa: BLE001 - any failure is the operation's, reported as Shopify does
            operation.status, operation.error_code = "FAILED", "INTERNAL_SERVER_ERROR"
        finally:
            operation.done.set()

    def wait(self, timeout: float = 30.0) -> None:
        """Tests: until the latest operation has finished."""
        current = self.current()
        if current is not None:
            current.done.wait(timeout)

    def download_endpoint(self) -> Any:
        """GET {FILES_PATH}/{name}: the file, for anyone holding the URL, never with the shop's token."""

        async def endpoint(request: Request) -> Response:
            if TOKEN_HEADER in request.headers:
                return JSONResponse(
                    {"error": "storage does not take the Shopify access token; do not send it here"},
                    status_code=400,
                )
            name = request.path_params["name"]
            path = self.files / name
            if "/" in name or not path.is_file():
                return JSONResponse({"error": "NoSuchKey"}, status_code=404)
            return FileResponse(path, media_type="application/jsonl")

        return endpoint


def jsonl_lines(data: dict[str, Any], grouped: bool) -> Iterator[dict[str, Any]]:
    """Each node of the query's connections as a line; nested connections' nodes carry
    `__parentId`. Grouped: a node's children follow it; otherwise every child comes after
    every root (one of the orders an ungrouped file may have)."""
    later: list[dict[str, Any]] = []
    for value in data.values():
        for node in _connection_nodes(value):
            for line in _node_lines(node, None):
                if grouped or "__parentId" not in line:
                    yield line
                else:
                    later.append(line)
    yield from later


def _connection_nodes(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, dict):
        return []
    if "edges" in value:
        return [edge["node"] for edge in value["edges"] if isinstance(edge, dict) and "node" in edge]
    return list(value.get("nodes") or [])


def _is_connection(value: Any) -> bool:
    return isinstance(value, dict) and ("edges" in value or "nodes" in value)


def _node_lines(node: dict[str, Any], parent_id: str | None) -> Iterator[dict[str, Any]]:
    own = {key: value for key, value in node.items() if not _is_connection(value)}
    if parent_id is not None:
        own["__parentId"] = parent_id
    yield own
    for value in node.values():
        if _is_connection(value):
            for child in _connection_nodes(value):
                yield from _node_lines(child, node.get("id"))


def _connection_depths(schema: GraphQLSchema, document: Any) -> list[int]:
    """The nesting depth of each connection field the query selects (1 for a top-level one)."""
    type_info = TypeInfo(schema)
    depths: list[int] = []
    stack: list[bool] = []

    class Connections(Visitor):
        def enter_field(self, node: FieldNode, *_args: Any) -> None:
            named = get_named_type(type_info.get_type())
            is_connection = named is not None and named.name.endswith("Connection")
            stack.append(is_connection)
            if is_connection:
                depths.append(sum(stack))

        def leave_field(self, *_args: Any) -> None:
            stack.pop()

    visit(document, TypeInfoVisitor(type_info, Connections()))
    return depths
