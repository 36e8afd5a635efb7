"""Postmark API (subset): send transactional email and search what was sent, served under
`/postmark` (base URL `<server>/postmark`, standing in for https://api.postmarkapp.com).

Copied from the public contract (https://postmarkapp.com/developer): every request needs
`X-Postmark-Server-Token` (missing or wrong: 401 `{"ErrorCode": 10, "Message"}`).

- `POST /postmark/email` with a JSON body `{From, To, Cc, Bcc, Subject, TextBody, HtmlBody, Tag,
  ReplyTo, Headers, Metadata, MessageStream ("outbound" default, or "broadcast"), TrackOpens,
  TrackLinks, Attachments}` answers `{"To", "SubmittedAt", "MessageID", "ErrorCode": 0, "Message":
  "OK"}` (SubmittedAt in US Eastern time with 7 fractional digits, as Postmark writes it; MessageID
  a UUID). Refusals are 422 `{"ErrorCode", "Message"}`: 300 for an invalid request (no recipients,
  an address without '@', more than 50 recipients, neither TextBody nor HtmlBody, no From, metadata
  over Postmark's limits of 10 fields, names of 20 and values of 80 characters), 402 for invalid JSON,
  409 when the body is not declared JSON, 1235 for an unknown MessageStream.
- `POST /postmark/email/batch` with a JSON array of up to 500 such bodies answers 200 with one result
  per message, in order: the send answer above for an accepted message, `{"ErrorCode", "Message",
  "To"}` for a refused one (the POST /email refusal codes; that message is not kept, the others are,
  all in one write). The request as a whole is refused (nothing kept) with 401 as above, 422 402 for
  invalid JSON, 409 when not declared JSON, 403 when the body is not an array, 300 for more than 500.
- `GET /postmark/messages/outbound?count=&offset=` (both required; count <= 500, count + offset <=
  10,000) with optional `recipient`, `fromemail`, `tag`, `status`, `subject`, `messagestream`
  (default "outbound"), `fromdate`/`todate` (Eastern time, inclusive) and `metadata_<key>=<value>`,
  newest first: `{"TotalCount", "Messages": [{Tag, MessageID, MessageStream, To, Cc, Bcc,
  Recipients, ReceivedAt, From, Subject, Attachments, Status, TrackOpens, TrackLinks, Metadata,
  Sandboxed}]}`. Postmark has no idempotency key, so a sender that crashed between sending and
  recording finds out whether the mail went by searching on its own metadata.
- `GET /postmark/messages/outbound/{messageid}/details`: the message with `TextBody`, `HtmlBody`,
  `Body` and `MessageEvents`; an unknown id is 422 ErrorCode 701.

Every message is kept in the world (`postmark_messages`) at the world clock, status "Sent" with a
Delivered event. Known differences: no sender signatures (any From is accepted), no bounces or
suppressions, no sending: nothing leaves the machine; several `metadata_` filters are ANDed (Postmark
searches one at a time); the wording of 422 messages and of the search's 422s is the sandbox's where
Postmark does not document it, as are the codes of a batch refused as a whole (not an array, over 500
messages) and the 50 MB payload limit, which is not enforced.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from email.utils import getaddresses
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.timeutil import parse_iso, to_iso
from sandbox.world import WorldMissingError, opened, world_now, world_seed

PREFIX = "/postmark"
EASTERN = ZoneInfo("America/New_York")
MESSAGE_STREAMS = ("outbound", "broadcast")
MAX_RECIPIENTS = 50
MAX_COUNT = 500
MAX_BATCH = 500  # messages per POST /email/batch
MAX_SEARCH_DEPTH = 10_000
METADATA_LIMITS = (10, 20, 80)  # fields, name length, value length
Endpoint = Callable[[Request], Awaitable[Response]]
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class PostmarkError(Exception):
    """A refusal Postmark would answer with."""

    def __init__(self, status: int, code: int, message: str):
        super().__init__(message)
        self.status = status
        self.body = {"ErrorCode": code, "Message": message}


def postmark_response(body: Any, status: int = 200) -> JSONResponse:
    """Postmark's JSON answer."""
    return JSONResponse(body, status_code=status)


def _invalid(message: str) -> PostmarkError:
    return PostmarkError(422, 300, message)


def eastern(moment: datetime) -> str:
    """Postmark's timestamp form: US Eastern time, 7 fractional digits, e.g.
    2026-11-04T07:00:00.0000000-05:00."""
    local = moment.astimezone(EASTERN)
    offset = local.strftime("%z")
    return f"{local.strftime('%Y-%m-%dT%H:%M:%S')}.{local.microsecond * 10:07d}{offset[:3]}:{offset[3:]}"


def _addresses(value: Any, field: str) -> list[dict[str, str]]:
    if value is None or value == "":
        return []
    if not isinstance(value, str):
        raise _invalid(f"Error parsing '{field}': the value must be a string of comma separated addresses.")
    parsed = []
    for name, email in getaddresses([value]):
        if not email and not name:
            continue
        if "@" not in email:
            raise _invalid(
                f"Error parsing '{field}': Illegal email address '{email or name}'."
                " It must contain the '@' symbol."
            )
        parsed.append({"Email": email, "Name": name})
    return parsed


def _metadata(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _invalid("Invalid metadata: Metadata must be an object of name/value pairs.")
    fields, name_length, value_length = METADATA_LIMITS
    if len(value) > fields:
        raise _invalid(f"Invalid metadata: at most {fields} fields are allowed.")
    seen: set[str] = set()
    metadata = {}
    for key, item in value.items():
        if len(key) > name_length:
            raise _invalid(f"Invalid metadata: field name '{key}' is longer than {name_length} characters.")
        if key.lower() in seen:
            raise _invalid(f"Invalid metadata: duplicate field name '{key}'.")
        seen.add(key.lower())
        if isinstance(item, (dict, list)):
            raise _invalid(f"Invalid metadata: the value of '{key}' must be a string.")
        text = "" if item is None else str(item).lower() if isinstance(item, bool) else str(item)
        if len(text) > value_length:
            raise _invalid(
                f"Invalid metadata: the value of '{key}' is longer than {value_length} characters."
            )
        metadata[key] = text
    return metadata


def parse_email(body: Any) -> dict[str, Any]:
    """A validated POST /email body, as stored; raises PostmarkError (422)."""
    if not isinstance(body, dict):
        raise PostmarkError(422, 403, "Incompatible JSON: the request body must be a JSON object.")
    sender = _addresses(body.get("From"), "From")
    if len(sender) != 1:
        raise _invalid(f"Invalid 'From' address: '{body.get('From') or ''}'.")
    to, cc, bcc = (_addresses(body.get(f), f) for f in ("To", "Cc", "Bcc"))
    recipients = [a["Email"] for a in (*to, *cc, *bcc)]
    if not recipients:
        raise _invalid("Zero recipients specified")
    if len(recipients) > MAX_RECIPIENTS:
        raise _invalid(f"Maximum of {MAX_RECIPIENTS} recipients allowed per email message")
    if not body.get("TextBody") and not body.get("HtmlBody"):
        raise _invalid("Provide either email TextBody or HtmlBody or both.")
    stream = body.get("MessageStream") or "outbound"
    if stream not in MESSAGE_STREAMS:
        raise PostmarkError(422, 1235, f"The message stream '{stream}' was not found on this server.")
    tag = body.get("Tag") or None
    if tag is not None and (not isinstance(tag, str) or len(tag) > 1000):
        raise _invalid("Invalid 'Tag': it must be a string of at most 1000 characters.")
    attachments = body.get("Attachments") or []
    return {
        "From": body["From"],
        "To": to,
        "Cc": cc,
        "Bcc": bcc,
        "Recipients": recipients,
        "Subject": body.get("Subject") or "",
        "TextBody": body.get("TextBody"),
        "HtmlBody": body.get("HtmlBody"),
        "Tag": tag,
        "ReplyTo": body.get("ReplyTo"),
        "Headers": body.get("Headers") or [],
        "Metadata": _metadata(body.get("Metadata")),
        "MessageStream": stream,
        "TrackOpens": bool(body.get("TrackOpens", False)),
        "TrackLinks": body.get("TrackLinks") or "None",
        "Attachments": [
            {"Name": a.get("Name"), "ContentType": a.get("ContentType"), "ContentID": a.get("ContentID")}
            for a in attachments
            if isinstance(a, dict)
        ],
        "_to_text": body.get("To") or "",
        "_cc_text": body.get("Cc") or None,
        "_bcc_text": body.get("Bcc") or None,
    }


def send_email(data_dir: Path, message: dict[str, Any]) -> dict[str, Any]:
    """Keep one message at the world clock; Postmark's send answer."""
    return send_emails(data_dir, [message])[0]


def send_emails(data_dir: Path, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep validated messages at the world clock in one write (a batch is stored as a whole or,
    if the write fails, not at all); Postmark's send answer for each, in order."""
    answers = []
    with opened(data_dir, write=True) as conn:
        now = world_now(conn)
        seed = world_seed(conn)
        seq = int(conn.execute("SELECT COALESCE(MAX(seq), 0) FROM postmark_messages").fetchone()[0])
        for message in messages:
            seq += 1
            digest = hashlib.sha256(f"{seed}:postmark:{seq}".encode()).digest()
            message_id = str(uuid.UUID(bytes=digest[:16], version=4))
            conn.execute(
                "INSERT INTO postmark_messages(seq, message_id, submitted_at, message_stream, tag, body_json)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (seq, message_id, to_iso(now), message["MessageStream"], message["Tag"], json.dumps(message)),
            )
            answer: dict[str, Any] = {"To": message["_to_text"]}
            for key in ("Cc", "Bcc"):
                if message[f"_{key.lower()}_text"]:
                    answer[key] = message[f"_{key.lower()}_text"]
            answer.update(
                {"SubmittedAt": eastern(now), "MessageID": message_id, "ErrorCode": 0, "Message": "OK"}
            )
            answers.append(answer)
    return answers


def send_batch(data_dir: Path, body: Any) -> list[dict[str, Any]]:
    """POST /email/batch: each message validated as POST /email validates it; a refused one gets
    its own result (ErrorCode and Message) and is not kept, the others are kept. Raises
    PostmarkError (422) when the request as a whole is refused."""
    if not isinstance(body, list):
        raise PostmarkError(422, 403, "Incompatible JSON: the request body must be a JSON array of messages.")
    if len(body) > MAX_BATCH:
        raise _invalid(f"Batch limit exceeded: at most {MAX_BATCH} messages are allowed per request.")
    results: list[dict[str, Any] | None] = []
    accepted: list[dict[str, Any]] = []
    for item in body:
        try:
            accepted.append(parse_email(item))
            results.append(None)
        except PostmarkError as refused:
            to = item.get("To") if isinstance(item, dict) else None
            results.append({**refused.body, "To": to if isinstance(to, str) else ""})
    answers = iter(send_emails(data_dir, accepted) if accepted else [])
    return [result if result is not None else next(answers) for result in results]


def _summary(message_id: str, submitted: str, stored: dict[str, Any]) -> dict[str, Any]:
    return {
        "Tag": stored["Tag"] or "",
        "MessageID": message_id,
        "MessageStream": stored["MessageStream"],
        "To": stored["To"],
        "Cc": stored["Cc"],
        "Bcc": stored["Bcc"],
        "Recipients": stored["Recipients"],
        "ReceivedAt": eastern(parse_iso(submitted)),
        "From": stored["From"],
        "Subject": stored["Subject"],
        "Attachments": stored["Attachments"],
        "Status": "Sent",
        "TrackOpens": stored["TrackOpens"],
        "TrackLinks": stored["TrackLinks"],
        "Metadata": stored["Metadata"],
        "Sandboxed": False,
    }


def _bound(value: str, name: str, end: bool) -> datetime:
    """A fromdate/todate in Eastern time as a UTC instant (a bare date covers the whole day)."""
    try:
        moment = parse_iso(value, naive_tz=EASTERN)
    except ValueError as exc:
        raise _invalid(f"Invalid '{name}': '{value}' is not a date.") from exc
    if end and _DAY.match(value.strip()):
        return moment + timedelta(days=1)
    return moment + timedelta(seconds=1) if end else moment


def search_messages(data_dir: Path, params: QueryParams) -> dict[str, Any]:
    """GET /messages/outbound."""
    numbers = {}
    for name in ("count", "offset"):
        text = params.get(name)
        if text is None or not text.strip().isdigit():
            raise _invalid(f"The '{name}' parameter is required and must be a non-negative integer.")
        numbers[name] = int(text)
    count, offset = numbers["count"], numbers["offset"]
    if not 1 <= count <= MAX_COUNT:
        raise _invalid(f"The 'count' parameter must be between 1 and {MAX_COUNT}.")
    if count + offset > MAX_SEARCH_DEPTH:
        raise _invalid(f"Count + Offset cannot exceed {MAX_SEARCH_DEPTH:,} messages.")
    stream = params.get("messagestream") or "outbound"
    recipient, sender = params.get("recipient"), params.get("fromemail")
    tag, status, subject = params.get("tag"), params.get("status"), params.get("subject")
    since = _bound(params["fromdate"], "fromdate", False) if params.get("fromdate") else None
    until = _bound(params["todate"], "todate", True) if params.get("todate") else None
    metadata = {k[len("metadata_") :]: v for k, v in params.items() if k.startswith("metadata_")}
    with opened(data_dir) as conn:
        rows = conn.execute(
            "SELECT * FROM postmark_messages WHERE message_stream = ? ORDER BY submitted_at DESC, seq DESC",
            (stream,),
        ).fetchall()
    found = []
    for row in rows:
        stored = json.loads(row["body_json"])
        sent = parse_iso(row["submitted_at"])
        senders = [a["Email"].lower() for a in _addresses(stored["From"], "From")]
        if (
            (recipient and recipient.lower() not in (r.lower() for r in stored["Recipients"]))
            or (sender and sender.lower() not in senders)
            or (tag and (stored["Tag"] or "").lower() != tag.lower())
            or (status and status.lower() not in ("sent", "processed"))
            or (subject and subject.lower() not in stored["Subject"].lower())
            or (since and sent < since)
            or (until and sent >= until)
            or any(stored["Metadata"].get(k) != v for k, v in metadata.items())
        ):
            continue
        found.append(_summary(row["message_id"], row["submitted_at"], stored))
    return {"TotalCount": len(found), "Messages": found[offset : offset + count]}


def message_details(data_dir: Path, message_id: str) -> dict[str, Any]:
    """GET /messages/outbound/{messageid}/details; raises PostmarkError for an unknown id."""
    with opened(data_dir) as conn:
        row = conn.execute("SELECT * FROM postmark_messages WHERE message_id = ?", (message_id,)).fetchone()
    if row is None:
        raise PostmarkError(422, 701, f"Message with ID '{message_id}' was not found.")
    stored = json.loads(row["body_json"])
    details = _summary(row["message_id"], row["submitted_at"], stored)
    received = details["ReceivedAt"]
    body_lines = [f"From: {stored['From']}", f"Subject: {stored['Subject']}", "", stored["TextBody"] or ""]
    details.update(
        {
            "TextBody": stored["TextBody"],
            "HtmlBody": stored["HtmlBody"],
            "Body": "\r\n".join(body_lines),
            "MessageEvents": [
                {
                    "Recipient": email,
                    "Type": "Delivered",
                    "ReceivedAt": received,
                    "Details": {
                        "DeliveryMessage": "Sandbox: delivered",
                        "DestinationServer": "",
                        "DestinationIP": "",
                    },
                }
                for email in stored["Recipients"]
            ],
        }
    )
    return details


async def _json_body(request: Request) -> Any:
    """The request's JSON body; raises PostmarkError 409 (not declared JSON) or 402 (invalid JSON)."""
    raw = await request.body()
    content_type = request.headers.get("content-type", "")
    if content_type and "json" not in content_type.lower():
        raise PostmarkError(
            422,
            409,
            "JSON required: your HTTP request does not have the Content-Type header set to application/json.",
        )
    try:
        return json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise PostmarkError(422, 402, "Received invalid JSON input.") from exc


def postmark_routes(data_dir: Path, server_token: str, wrap: Callable[[Endpoint], Endpoint]) -> list[Route]:
    """Routes under /postmark; `wrap` puts Postmark's fault injector in front of every endpoint."""

    def denied(request: Request) -> Response | None:
        presented = request.headers.get("x-postmark-server-token")
        if presented == server_token:
            return None
        if presented is None and request.headers.get("x-postmark-account-token") is None:
            message = (
                "No Account or Server API tokens were supplied in the HTTP headers. Please add a header for"
                " either X-Postmark-Server-Token or X-Postmark-Account-Token."
            )
        else:
            message = "Request does not contain a valid Server token."
        return postmark_response({"ErrorCode": 10, "Message": message}, 401)

    def world_missing() -> Response:
        return postmark_response({"ErrorCode": 500, "Message": "Sandbox world has not been generated."}, 500)

    async def email(request: Request) -> Response:
        refused = denied(request)
        if refused is not None:
            return refused
        try:
            message = parse_email(await _json_body(request))
            return postmark_response(await run_in_threadpool(send_email, data_dir, message))
        except PostmarkError as exc:
            return postmark_response(exc.body, exc.status)
        except WorldMissingError:
            return world_missing()

    async def batch(request: Request) -> Response:
        refused = denied(request)
        if refused is not None:
            return refused
        try:
            body = await _json_body(request)
            return postmark_response(await run_in_threadpool(send_batch, data_dir, body))
        except PostmarkError as exc:
            return postmark_response(exc.body, exc.status)
        except WorldMissingError:
            return world_missing()

    async def outbound(request: Request) -> Response:
        refused = denied(request)
        if refused is not None:
            return refused
        try:
            return postmark_response(await run_in_threadpool(search_messages, data_dir, request.query_params))
        except PostmarkError as exc:
            return postmark_response(exc.body, exc.status)
        except WorldMissingError:
            return world_missing()

    async def details(request: Request) -> Response:
        refused = denied(request)
        if refused is not None:
            return refused
        try:
            found = await run_in_threadpool(message_details, data_dir, request.path_params["message_id"])
            return postmark_response(found)
        except PostmarkError as exc:
            return postmark_response(exc.body, exc.status)
        except WorldMissingError:
            return world_missing()

    async def unknown(request: Request) -> Response:
        return postmark_response({"ErrorCode": 404, "Message": "The requested resource was not found."}, 404)

    return [
        Route(f"{PREFIX}/email", wrap(email), methods=["POST"]),
        Route(f"{PREFIX}/email/batch", wrap(batch), methods=["POST"]),
        Route(f"{PREFIX}/messages/outbound", wrap(outbound), methods=["GET"]),
        Route(f"{PREFIX}/messages/outbound/{{message_id}}/details", wrap(details), methods=["GET"]),
        Route(f"{PREFIX}/{{rest:path}}", wrap(unknown), methods=["GET", "POST", "PUT", "DELETE"]),
    ]
