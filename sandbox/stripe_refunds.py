"""Stripe Refunds API (subset): create, list and retrieve refunds of the WooCommerce channel's
PaymentIntents, with Stripe's idempotent requests.

`POST /v1/refunds` (form-encoded: `payment_intent` or `charge`, optional `amount` in pence, `reason`
duplicate|fraudulent|requested_by_customer, `metadata[key]=value`; `expand[]`,
`instructions_email`, `refund_application_fee`, `reverse_transfer` accepted and ignored) refunds a
captured charge, by default whatever is left of it, and answers the Refund object (`re_...`,
`status` "succeeded"). It records a `charge.refunded` event (the Charge with its new
`amount_refunded`/`refunded`, `previous_attributes`) and a `refund.created` event at the world
clock, both with `request.idempotency_key`, so `/v1/events` shows them. Errors as Stripe words them:
an unknown PaymentIntent/Charge is 400 `resource_missing`; a PaymentIntent not captured (or failed,
or cancelled) "does not have a successful charge to refund"; a refunded charge
`charge_already_refunded`; an amount over what is left "Refund amount (£X) is greater than
unrefunded amount on charge (£Y)"; bad parameters `parameter_unknown`/`parameter_invalid_integer`
and the like.

Idempotency (https://docs.stripe.com/api/idempotent_requests): a POST with `Idempotency-Key` saves
the status and body of the first request once the endpoint starts executing (successes and
`resource_missing`-style refusals alike; parameter validation errors are not saved). Within 24 hours
of world time the same key with the same parameters (order-insensitive) gets the saved answer again,
with `Idempotent-Replayed: true` and `Original-Request: <first Request-Id>`, and nothing is refunded
twice; the same key with other parameters, or on another endpoint, gets 400 `idempotency_error`.
After 24 hours a key starts afresh. Replays and mismatches are counted for `stats`.

`GET /v1/refunds` (`payment_intent`, `charge`, `limit` 1-100 default 10, `starting_after`,
`ending_before`, `created`/`created[gt|gte|lt|lte]`), newest first, and `GET /v1/refunds/{id}` list
every refund of the channel: those WooCommerce made (the world's, `metadata.reason` as the WooCommerce
Stripe plugin sends it) and those made through this API.

Known differences: an API refund does not change the WooCommerce order (no webhook reaches the
plugin), and charge snapshots in later generated events do not count API refunds; the 24 hours run
on the world clock; no `expand`.
"""

from __future__ import annotations

import itertools
import json
import re
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.stable_ids import opaque, stripe_id
from sandbox.stripe_api import DOCS, StripeError, _integer, stripe_denied, stripe_response, world_missing
from sandbox.stripe_events import CURRENCY, charge, pence, record_event, unix
from sandbox.timeutil import parse_iso
from sandbox.world import WorldMissingError, opened, world_now, world_seed

Endpoint = Callable[[Request], Awaitable[Response]]
REASONS = ("duplicate", "fraudulent", "requested_by_customer")
IDEMPOTENCY_WINDOW = 24 * 3600
MAX_KEY_LENGTH = 255
CREATE_PARAMS = {
    "amount", "charge", "payment_intent", "reason", "metadata", "expand", "instructions_email",
    "refund_application_fee", "reverse_transfer", "currency", "customer", "origin",
}  # fmt: skip
_BRACKETS = re.compile(r"^([a-z_]+)(?:\[([^\]]*)\])?$")
_request_numbers = itertools.count(1)


def _missing(kind: str, value: str, param: str, status: int = 400) -> StripeError:
    return StripeError(
        status,
        f"No such {kind}: '{value}'",
        code="resource_missing",
        param=param,
        doc_url=f"{DOCS}/error-codes/resource-missing",
    )


def parse_create(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Validated POST /v1/refunds parameters; raises StripeError (a validation error: never saved)."""
    params: dict[str, Any] = {"metadata": {}}
    for name, value in pairs:
        match = _BRACKETS.match(name)
        base = match.group(1) if match else name
        if match is None or base not in CREATE_PARAMS:
            raise StripeError(
                400, f"Received unknown parameter: {name}", code="parameter_unknown", param=name
            )
        if base == "metadata":
            key = match.group(2)
            if not key or len(key) > 40 or len(value) > 500:
                raise StripeError(
                    400, f"Invalid metadata: {name}", code="parameter_invalid_string", param=name
                )
            if value != "":
                params["metadata"][key] = value
        elif base != "expand":
            params[base] = value
    if "amount" in params:
        amount = _integer(QueryParams({"amount": params["amount"]}), "amount")
        if amount is None or amount < 1:
            raise StripeError(
                400, "Invalid positive integer", code="parameter_invalid_integer", param="amount"
            )
        params["amount"] = amount
    if params.get("reason") is not None and params["reason"] not in REASONS:
        raise StripeError(
            400,
            "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer",
            param="reason",
        )
    if not params.get("payment_intent") and not params.get("charge"):
        raise StripeError(
            400, "One of the following params should be provided for this request: payment_intent or charge."
        )
    if len(params["metadata"]) > 50:
        raise StripeError(400, "Invalid metadata: at most 50 keys", param="metadata")
    return params


def _pounds(amount: int) -> str:
    return f"£{amount / 100:.2f}"


def api_refunded(conn: sqlite3.Connection, order_id: int) -> int:
    """Pence refunded through this API for one order."""
    row = conn.execute(
        "SELECT COALESCE(SUM(amount), 0) FROM stripe_api_refunds WHERE order_id = ?", (order_id,)
    )
    return int(row.fetchone()[0])


def _order_for(conn: sqlite3.Connection, params: dict[str, Any]) -> sqlite3.Row:
    intent, charge_id = params.get("payment_intent"), params.get("charge")
    order = None
    if intent:
        order = conn.execute("SELECT * FROM woo_orders WHERE intent_id = ?", (intent,)).fetchone()
        if order is None:
            raise _missing("payment_intent", intent, "payment_intent")
    if charge_id:
        by_charge = conn.execute("SELECT * FROM woo_orders WHERE charge_id = ?", (charge_id,)).fetchone()
        if by_charge is None:
            raise _missing("charge", charge_id, "charge")
        if order is not None and by_charge["id"] != order["id"]:
            raise StripeError(
                400, f"Charge {charge_id} does not belong to PaymentIntent {intent}.", param="charge"
            )
        order = by_charge
    assert order is not None
    return order


def create_refund(
    conn: sqlite3.Connection, params: dict[str, Any], idempotency_key: str | None
) -> dict[str, Any]:
    """Refund (part of) a captured charge and record its events; raises StripeError where Stripe
    would refuse."""
    order = _order_for(conn, params)
    if order["intent_status"] != "succeeded" or order["charge_id"] is None:
        raise StripeError(
            400, f"This PaymentIntent ({order['intent_id']}) does not have a successful charge to refund."
        )
    captured = pence(order["total"])
    refunded = int(order["amount_refunded"]) + api_refunded(conn, order["id"])
    left = captured - refunded
    if left <= 0:
        raise StripeError(
            400,
            f"Charge {order['charge_id']} has already been refunded.",
            code="charge_already_refunded",
            doc_url=f"{DOCS}/error-codes/charge-already-refunded",
        )
    amount = params.get("amount", left)
    if amount > left:
        raise StripeError(
            400,
            f"Refund amount ({_pounds(amount)}) is greater than unrefunded amount on charge"
            f" ({_pounds(left)})",
            param="amount",
        )
    seed = world_seed(conn)
    now = world_now(conn)
    seq = int(conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM stripe_api_refunds").fetchone()[0])
    refund = {
        "id": stripe_id("re", seed, "api", seq),
        "object": "refund",
        "amount": amount,
        "balance_transaction": stripe_id("txn", seed, "api-refund", seq),
        "charge": order["charge_id"],
        "created": unix(now),
        "currency": CURRENCY,
        "destination_details": {
            "card": {
                "reference_status": "pending",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
            "type": "card",
        },
        "metadata": dict(params["metadata"]),
        "payment_intent": order["intent_id"],
        "reason": params.get("reason"),
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }
    conn.execute(
        "INSERT INTO stripe_api_refunds(seq, id, order_id, amount, created, body_json)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (seq, refund["id"], order["id"], amount, refund["created"], json.dumps(refund)),
    )
    snapshot = charge(seed, {**dict(order), "amount_refunded": refunded + amount})  # type: ignore[arg-type]
    previous: dict[str, Any] = {"amount_refunded": refunded}
    if snapshot["refunded"]:
        previous["refunded"] = False
    record_event(
        conn, seed, "charge.refunded", now, order["id"], snapshot, previous_attributes=previous,
        idempotency_key=idempotency_key,
    )  # fmt: skip
    record_event(conn, seed, "refund.created", now, order["id"], refund, idempotency_key=idempotency_key)
    return refund


def _canonical(pairs: list[tuple[str, str]]) -> str:
    return json.dumps(sorted(pairs))


def idempotent_create(
    data_dir: Path, pairs: list[tuple[str, str]], params: dict[str, Any], key: str | None
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """(status, body, extra headers) of POST /v1/refunds, replaying or refusing by idempotency key."""
    with opened(data_dir, write=True) as conn:
        now = unix(world_now(conn))
        request_id = f"req_{opaque(0, 'refund-request', next(_request_numbers), length=14)}"
        if key is not None:
            saved = conn.execute("SELECT * FROM stripe_idempotency_keys WHERE key = ?", (key,)).fetchone()
            if saved is not None and saved["created"] > now - IDEMPOTENCY_WINDOW:
                same = (saved["method"], saved["path"], saved["params_json"]) == (
                    "POST",
                    "/v1/refunds",
                    _canonical(pairs),
                )
                conn.execute(
                    "INSERT INTO stripe_idempotency_log(key, outcome, at) VALUES (?, ?, ?)",
                    (key, "replay" if same else "mismatch", now),
                )
                if not same:
                    message = (
                        "Keys for idempotent requests can only be used with the same parameters they were"
                        f" first used with. Try using a key other than '{key}' if you meant to execute a"
                        " different request."
                    )
                    return 400, {"error": {"message": message, "type": "idempotency_error"}}, {}
                headers = {"Idempotent-Replayed": "true", "Original-Request": saved["request_id"]}
                return int(saved["status"]), json.loads(saved["body_json"]), headers
        try:
            status, body = 200, create_refund(conn, params, key)
        except StripeError as exc:
            status, body = exc.status, exc.body
        if key is not None:
            conn.execute(
                "INSERT INTO stripe_idempotency_keys(key, method, path, params_json, status, body_json,"
                " request_id, created) VALUES (?, 'POST', '/v1/refunds', ?, ?, ?, ?, ?)"
                " ON CONFLICT(key) DO UPDATE SET method = excluded.method, path = excluded.path,"
                " params_json = excluded.params_json, status = excluded.status,"
                " body_json = excluded.body_json,"
                " request_id = excluded.request_id, created = excluded.created",
                (key, _canonical(pairs), status, json.dumps(body), request_id, now),
            )
    return status, body, {"Request-Id": request_id}


def all_refunds(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every refund of the channel, newest first: WooCommerce's (the world's) and the API's."""
    seed = world_seed(conn)
    keyed: list[tuple[tuple[int, int, int], dict[str, Any]]] = []
    rows = conn.execute(
        "SELECT r.*, o.intent_id, o.charge_id FROM woo_refunds r JOIN woo_orders o ON o.id = r.order_id"
    )
    for row in rows:
        created = unix(parse_iso(row["created_gmt"]))
        body = {
            "id": row["stripe_refund_id"],
            "object": "refund",
            "amount": pence(row["amount"]),
            "balance_transaction": stripe_id("txn", seed, "refund", row["stripe_refund_id"]),
            "charge": row["charge_id"],
            "created": created,
            "currency": CURRENCY,
            "metadata": {"reason": row["reason"]} if row["reason"] else {},
            "payment_intent": row["intent_id"],
            "reason": None,
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": "succeeded",
            "transfer_reversal": None,
        }
        keyed.append(((created, 0, int(row["id"])), body))
    for row in conn.execute("SELECT seq, created, body_json FROM stripe_api_refunds"):
        keyed.append(((int(row["created"]), 1, int(row["seq"])), json.loads(row["body_json"])))
    keyed.sort(key=lambda pair: pair[0], reverse=True)
    return [body for _, body in keyed]


def list_refunds(data_dir: Path, params: QueryParams) -> dict[str, Any]:
    """One page of GET /v1/refunds."""
    limit = _integer(params, "limit", 1, 100) or 10
    bounds: list[tuple[str, int]] = []
    exact = _integer(params, "created")
    if exact is not None:
        bounds.append(("eq", exact))
    for op in ("gt", "gte", "lt", "lte"):
        value = _integer(params, f"created[{op}]")
        if value is not None:
            bounds.append((op, value))
    after, before = params.get("starting_after") or None, params.get("ending_before") or None
    if after and before:
        raise StripeError(
            400,
            "You may only specify one of these parameters: ending_before, starting_after.",
            param="ending_before",
        )
    intent, charge_id = params.get("payment_intent") or None, params.get("charge") or None
    with opened(data_dir) as conn:
        filters = (("intent_id", intent, "payment_intent"), ("charge_id", charge_id, "charge"))
        for column, value, kind in filters:
            found = conn.execute(f"SELECT 1 FROM woo_orders WHERE {column} = ?", (value,)).fetchone()
            if value and found is None:
                raise _missing(kind, value, kind)
        refunds = all_refunds(conn)
    compare: dict[str, Callable[[int, int], bool]] = {
        "eq": lambda a, b: a == b,
        "gt": lambda a, b: a > b,
        "gte": lambda a, b: a >= b,
        "lt": lambda a, b: a < b,
        "lte": lambda a, b: a <= b,
    }
    every = [r for r in refunds if all(compare[op](r["created"], value) for op, value in bounds)]
    ids = [r["id"] for r in refunds]
    for cursor, param in ((after, "starting_after"), (before, "ending_before")):
        if cursor and cursor not in ids:
            raise _missing("refund", cursor, param)
    chosen = [
        r
        for r in every
        if intent in (None, r["payment_intent"]) and charge_id in (None, r["charge"])
    ]
    if after:
        position = ids.index(after)
        chosen = [r for r in chosen if ids.index(r["id"]) > position]
        page, has_more = chosen[:limit], len(chosen) > limit
    elif before:
        position = ids.index(before)
        chosen = [r for r in chosen if ids.index(r["id"]) < position]
        page, has_more = chosen[-limit:], len(chosen) > limit
    else:
        page, has_more = chosen[:limit], len(chosen) > limit
    return {"object": "list", "data": page, "has_more": has_more, "url": "/v1/refunds"}


def get_refund(data_dir: Path, refund_id: str) -> dict[str, Any] | None:
    """One refund, or None."""
    with opened(data_dir) as conn:
        return next((r for r in all_refunds(conn) if r["id"] == refund_id), None)


def refund_routes(data_dir: Path, api_key: str, wrap: Callable[[Endpoint], Endpoint]) -> list[Route]:
    """POST/GET /v1/refunds and GET /v1/refunds/{id}; `wrap` puts Stripe's fault injector in front."""

    async def refunds(request: Request) -> Response:
        refused = stripe_denied(request, api_key)
        if refused is not None:
            return refused
        try:
            if request.method == "GET":
                return stripe_response(await run_in_threadpool(list_refunds, data_dir, request.query_params))
            key = request.headers.get("idempotency-key")
            if key is not None and len(key) > MAX_KEY_LENGTH:
                raise StripeError(
                    400,
                    f"Idempotency keys can be at most {MAX_KEY_LENGTH} characters long.",
                    param="Idempotency-Key",
                )
            pairs = parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
            params = parse_create(pairs)
            status, body, headers = await run_in_threadpool(idempotent_create, data_dir, pairs, params, key)
            if key is not None:
                headers["Idempotency-Key"] = key
            return stripe_response(body, status, headers)
        except StripeError as exc:
            return stripe_response(exc.body, exc.status)
        except WorldMissingError:
            return world_missing()

    async def refund(request: Request) -> Response:
        refused = stripe_denied(request, api_key)
        if refused is not None:
            return refused
        refund_id = request.path_params["refund_id"]
        try:
            found = await run_in_threadpool(get_refund, data_dir, refund_id)
        except WorldMissingError:
            return world_missing()
        if found is None:
            error = _missing("refund", refund_id, "id", status=404)
            return stripe_response(error.body, error.status)
        return stripe_response(found)

    return [
        Route("/v1/refunds", wrap(refunds), methods=["GET", "POST"]),
        Route("/v1/refunds/{refund_id}", wrap(refund), methods=["GET"]),
    ]
