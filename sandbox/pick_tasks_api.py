"""The 3PL's pick-task API: the merchant releases orders to a warehouse as pick batches.

`POST /3pl/v1/warehouses/{warehouse}/pick-batches` (`Authorization: Bearer <api key>`,
`Idempotency-Key` required, JSON body):

    {"batch_reference": "PB-...",
     "pick_list_pdf": "<base64 PDF>",
     "orders": [{"order_reference": "#1042",
                 "lines": [{"sku": "OL-MUG-SGE", "quantity": 2, "location": "A03"}, ...],
                 "packing_slip_pdf": "<base64 PDF>"}, ...]}

answers 201 `{batch_reference, warehouse, received_at, orders: [{order_reference, outcome,
batch_reference}], released, not_released}`, where each order's `outcome` is `released`,
`already_released` (another batch holds it, named in `batch_reference`: it is not picked twice) or
`already_picked` (the warehouse picked it before the task came). Refusals are
`{"error": {"code", "message", "order_reference"}}` (the order named when one is at fault): 401
`unauthorized`; 404 `unknown_warehouse`; 400 `idempotency_key_missing`, `invalid_json`; 422
`invalid_batch` (no reference, no orders, an order twice), `unknown_order`, `invalid_lines` (none, a
SKU the order does not have, a quantity that is not a positive whole number or more than ordered, no
bin location), `missing_document` and `not_a_pdf` (a document that does not start with `%PDF-`);
409 `idempotency_key_reused` (the key came with another body or warehouse) and
`batch_reference_exists` (the reference came with another key).

The same key with the same body (and warehouse) gets the saved answer again with
`Idempotent-Replayed: true`, whenever it is repeated: nothing is released twice. Refusals are not
saved, so a corrected request may reuse its key.

`GET /3pl/v1/warehouses/{warehouse}/pick-batches/{reference}` reads a batch back: the saved answer
plus `documents {pick_list_pdf, packing_slips: {order_reference: pdf}}` (base64), so a sender that
crashed can see what arrived. 404 `unknown_batch`.

Known differences from a real 3PL: it knows the merchant's orders from the channels themselves
(no order import step), and a released order is picked once its Click & Drop label exists (the
parcel it is packed into); an order without a label waits.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import sqlite3
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.order_lookup import match_reference, order_info
from sandbox.timeutil import to_iso
from sandbox.warehouses import WAREHOUSES
from sandbox.world import WorldMissingError, opened, world_now

PREFIX = "/3pl/v1"
PDF_MAGIC = b"%PDF-"
MAX_KEY_LENGTH = 255
Endpoint = Callable[[Request], Awaitable[Response]]


class PickTaskError(Exception):
    """A refusal the 3PL answers with."""

    def __init__(self, status: int, code: str, message: str, order_reference: str | None = None):
        super().__init__(message)
        self.status = status
        self.body = {"error": {"code": code, "message": message, "order_reference": order_reference}}


def _invalid(code: str, message: str, order_reference: str | None = None) -> PickTaskError:
    return PickTaskError(422, code, message, order_reference)


def _pdf(value: Any, what: str, order_reference: str | None = None) -> bytes:
    """A base64 PDF document from the body; refuses what is missing or not a PDF."""
    if not value or not isinstance(value, str):
        raise _invalid("missing_document", f"{what} is missing.", order_reference)
    try:
        document = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _invalid("not_a_pdf", f"{what} is not valid base64.", order_reference) from exc
    if not document.startswith(PDF_MAGIC):
        raise _invalid("not_a_pdf", f"{what} is not a PDF (it does not start with %PDF-).", order_reference)
    return document


def _lines(conn: sqlite3.Connection, order: dict[str, Any], reference: str) -> tuple[str, list[dict]]:
    """The order's key and its validated lines."""
    key = match_reference(conn, reference)
    info = order_info(conn, key) if key else None
    if key is None or info is None:
        raise _invalid("unknown_order", f"Order {reference} is not known to the warehouse.", reference)
    lines = order.get("lines")
    if not isinstance(lines, list) or not lines:
        raise _invalid("invalid_lines", f"Order {reference} has no lines to pick.", reference)
    ordered: Counter[str] = Counter()
    for sku, quantity in info.lines:
        ordered[sku] += quantity
    asked: Counter[str] = Counter()
    clean = []
    for number, line in enumerate(lines, start=1):
        if not isinstance(line, dict):
            raise _invalid("invalid_lines", f"Order {reference} line {number} is not an object.", reference)
        sku, quantity, location = line.get("sku"), line.get("quantity"), line.get("location")
        if not isinstance(sku, str) or sku not in ordered:
            raise _invalid("invalid_lines", f"Order {reference} line {number}: {sku!r} is not on the order.",
                           reference)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise _invalid(
                "invalid_lines",
                f"Order {reference} line {number}: quantity must be a positive whole number.",
                reference,
            )
        if not location or not isinstance(location, str):
            raise _invalid("invalid_lines", f"Order {reference} line {number}: no bin location.", reference)
        asked[sku] += quantity
        if asked[sku] > ordered[sku]:
            raise _invalid(
                "invalid_lines",
                f"Order {reference}: {asked[sku]} x {sku} asked, {ordered[sku]} ordered.",
                reference,
            )
        clean.append({"sku": sku, "quantity": quantity, "location": location})
    return key, clean


def _outcome(conn: sqlite3.Connection, key: str, reference: str) -> tuple[str, str | None]:
    """released, or why not (with the batch that already holds the order)."""
    task = conn.execute("SELECT batch_reference FROM pick_tasks WHERE order_key = ?", (key,)).fetchone()
    if task is not None:
        return "already_released", task["batch_reference"]
    info = order_info(conn, key)
    picked = conn.execute(
        "SELECT 1 FROM warehouse_events WHERE order_reference = ? AND event = 'pick_started' LIMIT 1",
        (info.reference if info else reference,),
    ).fetchone()
    return ("already_picked", None) if picked is not None else ("released", None)


def request_hash(warehouse: str, body: Any) -> str:
    """What a repeated key must match: the warehouse and the body, key order ignored."""
    canonical = json.dumps({"warehouse": warehouse, "body": body}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _log(conn: sqlite3.Connection, key: str, outcome: str, at: str) -> None:
    conn.execute(
        "INSERT INTO pick_batch_requests(idempotency_key, outcome, at) VALUES (?, ?, ?)", (key, outcome, at)
    )


def receive_batch(data_dir: Path, warehouse: str, key: str, body: Any) -> tuple[int, dict[str, Any], bool]:
    """Store a batch and release its orders: (status, answer, replayed); raises PickTaskError."""
    digest = request_hash(warehouse, body)
    with opened(data_dir, write=True) as conn:
        now = to_iso(world_now(conn))
        saved = conn.execute("SELECT * FROM pick_batches WHERE idempotency_key = ?", (key,)).fetchone()
        if saved is not None:
            # Logged either way: a refusal must not roll back its own record.
            _log(conn, key, "replay" if saved["request_hash"] == digest else "mismatch", now)
            if saved["request_hash"] == digest:
                return 201, json.loads(saved["response_json"]), True
            mismatch = saved["reference"]
        else:
            mismatch = None
            answer = _release(conn, warehouse, key, digest, now, body)
    if mismatch is not None:
        raise PickTaskError(
            409,
            "idempotency_key_reused",
            f"Idempotency-Key {key} was used for batch {mismatch} with another request.",
        )
    return 201, answer, False


def _release(
    conn: sqlite3.Connection, warehouse: str, key: str, digest: str, now: str, body: Any
) -> dict[str, Any]:
    """Validate, store and release a new batch in the caller's transaction; its answer."""
    batch = _validated(conn, body)
    taken = conn.execute("SELECT 1 FROM pick_batches WHERE reference = ?", (batch["reference"],))
    if taken.fetchone() is not None:
        raise PickTaskError(
            409, "batch_reference_exists", f"Batch {batch['reference']} exists (sent with another key)."
        )
    results = []
    for order in batch["orders"]:
        outcome, holder = _outcome(conn, order["key"], order["reference"])
        if outcome == "released":
            holder = batch["reference"]
            conn.execute(
                "INSERT INTO pick_tasks(order_key, order_reference, warehouse, batch_reference,"
                " released_at) VALUES (?, ?, ?, ?, ?)",
                (order["key"], order["reference"], warehouse, batch["reference"], now),
            )
        conn.execute(
            "INSERT INTO pick_batch_orders(batch_reference, order_reference, order_key, outcome,"
            " lines_json, packing_slip_pdf) VALUES (?, ?, ?, ?, ?, ?)",
            (batch["reference"], order["reference"], order["key"], outcome, json.dumps(order["lines"]),
             order["slip"]),
        )
        results.append(
            {"order_reference": order["reference"], "outcome": outcome, "batch_reference": holder}
        )
    released = sum(1 for r in results if r["outcome"] == "released")
    answer = {
        "batch_reference": batch["reference"],
        "warehouse": warehouse,
        "received_at": now,
        "orders": results,
        "released": released,
        "not_released": len(results) - released,
    }
    conn.execute(
        "INSERT INTO pick_batches(reference, warehouse, idempotency_key, request_hash, received_at,"
        " response_json, pick_list_pdf) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (batch["reference"], warehouse, key, digest, now, json.dumps(answer), batch["pick_list"]),
    )
    _log(conn, key, "created", now)
    return answer


def _validated(conn: sqlite3.Connection, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise _invalid("invalid_batch", "The request body must be a JSON object.")
    reference = body.get("batch_reference")
    if not reference or not isinstance(reference, str):
        raise _invalid("invalid_batch", "batch_reference is required.")
    orders = body.get("orders")
    if not isinstance(orders, list) or not orders:
        raise _invalid("invalid_batch", f"Batch {reference} has no orders.")
    pick_list = _pdf(body.get("pick_list_pdf"), f"Batch {reference}'s pick list")
    seen: set[str] = set()
    clean = []
    for order in orders:
        order_reference = order.get("order_reference") if isinstance(order, dict) else None
        if not order_reference or not isinstance(order_reference, str):
            raise _invalid("invalid_batch", f"Batch {reference} has an order without order_reference.")
        if order_reference in seen:
            raise _invalid("invalid_batch", f"Order {order_reference} is twice in batch {reference}.",
                           order_reference)
        seen.add(order_reference)
        key, lines = _lines(conn, order, order_reference)
        slip = _pdf(order.get("packing_slip_pdf"), f"Order {order_reference}'s packing slip", order_reference)
        clean.append({"reference": order_reference, "key": key, "lines": lines, "slip": slip})
    return {"reference": reference, "orders": clean, "pick_list": pick_list}


def read_batch(data_dir: Path, warehouse: str, reference: str) -> dict[str, Any]:
    """A stored batch: the saved answer and its documents; raises PickTaskError (404)."""
    with opened(data_dir) as conn:
        row = conn.execute(
            "SELECT * FROM pick_batches WHERE reference = ? AND warehouse = ?", (reference, warehouse)
        ).fetchone()
        if row is None:
            raise PickTaskError(404, "unknown_batch", f"No batch {reference} at {warehouse}.")
        slips = conn.execute(
            "SELECT order_reference, packing_slip_pdf FROM pick_batch_orders WHERE batch_reference = ?",
            (reference,),
        ).fetchall()
    answer = json.loads(row["response_json"])
    answer["documents"] = {
        "pick_list_pdf": base64.b64encode(row["pick_list_pdf"]).decode(),
        "packing_slips": {
            s["order_reference"]: base64.b64encode(s["packing_slip_pdf"]).decode() for s in slips
        },
    }
    return answer


def pick_task_stats(conn: sqlite3.Connection) -> dict[str, Any]:
    """Batches received, orders released (per warehouse) and what the idempotency layer ignored."""
    requests = Counter(
        {r["outcome"]: int(r["n"]) for r in conn.execute(
            "SELECT outcome, COUNT(*) AS n FROM pick_batch_requests GROUP BY outcome")}
    )
    outcomes = Counter(
        {r["outcome"]: int(r["n"]) for r in conn.execute(
            "SELECT outcome, COUNT(*) AS n FROM pick_batch_orders GROUP BY outcome")}
    )
    by_warehouse = {
        r["warehouse"]: int(r["n"])
        for r in conn.execute("SELECT warehouse, COUNT(*) AS n FROM pick_tasks GROUP BY warehouse ORDER BY 1")
    }
    return {
        "batches_received": requests["created"],
        "orders_released": int(conn.execute("SELECT COUNT(*) FROM pick_tasks").fetchone()[0]),
        "orders_released_by_warehouse": by_warehouse,
        "duplicate_orders_ignored": outcomes["already_released"],
        "orders_already_picked": outcomes["already_picked"],
        "idempotent_replays": requests["replay"],
        "idempotency_mismatches": requests["mismatch"],
    }


def _error(exc: PickTaskError) -> JSONResponse:
    return JSONResponse(exc.body, status_code=exc.status)


def pick_task_routes(data_dir: Path, api_key: str, wrap: Callable[[Endpoint], Endpoint]) -> list[Route]:
    """Routes under /3pl/v1; `wrap` puts the 3PL's fault injector in front of every endpoint."""

    def checked(request: Request) -> str:
        """The warehouse of an authorised request; raises PickTaskError."""
        if request.headers.get("authorization") != f"Bearer {api_key}":
            raise PickTaskError(401, "unauthorized", "A valid API key is required (Authorization: Bearer).")
        warehouse = request.path_params["warehouse"]
        if warehouse not in WAREHOUSES:
            raise PickTaskError(404, "unknown_warehouse", f"There is no warehouse {warehouse!r}.")
        return warehouse

    async def create(request: Request) -> Response:
        try:
            warehouse = checked(request)
            key = (request.headers.get("idempotency-key") or "").strip()
            if not key or len(key) > MAX_KEY_LENGTH:
                raise PickTaskError(
                    400,
                    "idempotency_key_missing",
                    f"An Idempotency-Key of 1-{MAX_KEY_LENGTH} characters is required.",
                )
            try:
                body = json.loads(await request.body() or b"null")
            except (ValueError, UnicodeDecodeError) as exc:
                raise PickTaskError(400, "invalid_json", "The request body is not valid JSON.") from exc
            status, answer, replayed = await run_in_threadpool(receive_batch, data_dir, warehouse, key, body)
        except PickTaskError as exc:
            return _error(exc)
        except WorldMissingError:
            missing = {"code": "no_world", "message": "Sandbox world has not been generated."}
            return JSONResponse({"error": missing}, status_code=500)
        headers = {"Idempotent-Replayed": "true"} if replayed else {}
        return JSONResponse(answer, status_code=status, headers=headers)

    async def read(request: Request) -> Response:
        try:
            warehouse = checked(request)
            reference = request.path_params["reference"]
            return JSONResponse(await run_in_threadpool(read_batch, data_dir, warehouse, reference))
        except PickTaskError as exc:
            return _error(exc)

    async def unknown(request: Request) -> Response:
        return _error(PickTaskError(404, "not_found", "The requested resource was not found."))

    base = f"{PREFIX}/warehouses/{{warehouse}}/pick-batches"
    return [
        Route(base, wrap(create), methods=["POST"]),
        Route(f"{base}/{{reference}}", wrap(read), methods=["GET"]),
        Route(f"{PREFIX}/{{rest:path}}", wrap(unknown), methods=["GET", "POST", "PUT", "DELETE"]),
    ]
