"""Delivering tracker updates to the merchant as EasyPost webhooks.

Each scan the world has reached is one `tracker.updated` Event carrying the Tracker as it stood after
that scan, POSTed as JSON and signed as EasyPost signs: `X-Hmac-Signature: hmac-sha256-hex=<hex>`,
an HMAC-SHA256 of the raw body keyed with the NFKD-normalised secret. A 2xx answer marks the event
delivered; anything else, or no answer, leaves it pending for the next call (EasyPost retries).
`duplicate_every=k` sends every k-th event twice and `shuffle=True` sends them in a shuffled (but
deterministic) order, the two ways real webhook delivery surprises a receiver. Known differences:
delivery happens only when asked (no background retry schedule), and no `tracker.created` event
precedes the first update.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import unicodedata
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from sandbox.streams import stream
from sandbox.timeutil import to_iso
from sandbox.trackers import render_event
from sandbox.world import opened, upgrade_world, world_now, world_seed

SIGNATURE_HEADER = "X-Hmac-Signature"
USER_AGENT = "EasyPost WebHook Agent 1.0"


def sign(body: bytes, secret: str) -> str:
    """The `X-Hmac-Signature` value EasyPost sends for `body`."""
    key = unicodedata.normalize("NFKD", secret).encode("utf-8")
    return "hmac-sha256-hex=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def _scan(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "at": row["at"],
        "status": row["status"],
        "status_detail": row["status_detail"],
        "message": row["message"],
        "location": json.loads(row["location_json"]),
    }


def event_bodies(conn: sqlite3.Connection, url: str) -> list[tuple[int, str, bytes]]:
    """(seq, event id, body) of every undelivered event the world clock has reached, oldest first."""
    seed, limit = world_seed(conn), to_iso(world_now(conn))
    pending = conn.execute(
        "SELECT * FROM tracker_events WHERE delivered = 0 AND at <= ? ORDER BY at, seq", (limit,)
    ).fetchall()
    bodies = []
    for event in pending:
        tracker = dict(conn.execute("SELECT * FROM trackers WHERE id = ?", (event["tracker_id"],)).fetchone())
        history = conn.execute(
            "SELECT * FROM tracker_events WHERE tracker_id = ? AND step <= ? ORDER BY step",
            (event["tracker_id"], event["step"]),
        ).fetchall()
        scans = [_scan(r) for r in history]
        previous = scans[-2]["status"] if len(scans) > 1 else "unknown"
        body = render_event(seed, tracker, scans, previous, url)
        bodies.append((event["seq"], event["id"], json.dumps(body, separators=(",", ":")).encode()))
    return bodies


def _post(url: str, body: bytes, signature: str, timeout: float) -> int | None:
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature, "User-Agent": USER_AGENT},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, OSError):
        return None


def deliver_pending(
    data_dir: Path,
    url: str,
    secret: str,
    duplicate_every: int | None = None,
    shuffle: bool = False,
    timeout: float = 10.0,
) -> dict[str, int]:
    """POST every due, undelivered tracker event to `url`; counts of sent, duplicates_sent, accepted,
    failed (left pending) events."""
    if duplicate_every is not None and duplicate_every < 1:
        raise ValueError("duplicate_every must be >= 1")
    upgrade_world(Path(data_dir))
    with opened(Path(data_dir)) as conn:
        bodies = event_bodies(conn, url)
        seed, now = world_seed(conn), to_iso(world_now(conn))
    if shuffle:
        stream("webhook-order", seed, now, ",".join(event for _, event, _ in bodies)).shuffle(bodies)
    accepted: set[int] = set()
    answers: dict[int, int | None] = {}
    duplicates = 0
    for position, (seq, _, body) in enumerate(bodies, start=1):
        signature = sign(body, secret)
        statuses = [_post(url, body, signature, timeout)]
        if duplicate_every is not None and position % duplicate_every == 0:
            statuses.append(_post(url, body, signature, timeout))
            duplicates += 1
        answers[seq] = statuses[-1]
        if any(status is not None and 200 <= status < 300 for status in statuses):
            accepted.add(seq)
    with opened(Path(data_dir), write=True) as conn:
        for seq, status in answers.items():
            conn.execute(
                "UPDATE tracker_events SET attempts = attempts + 1, last_response = ?,"
                " delivered = CASE WHEN delivered = 1 OR ? THEN 1 ELSE 0 END WHERE seq = ?",
                (status, int(seq in accepted), seq),
            )
    return {
        "sent": len(bodies),
        "duplicates_sent": duplicates,
        "accepted": len(accepted),
        "failed": len(bodies) - len(accepted),
    }
