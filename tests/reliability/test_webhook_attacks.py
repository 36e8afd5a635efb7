"""Attacks on the tracking-webhook receiver, served by uvicorn on 127.0.0.1 as `orderloop webhooks`
serves it: a forged signature, a replayed delivery (recent or an old capture), an oversized body,
a body trickled in to hold the worker, and request headers trickled in to hold the connection
(slowloris; on a new or a kept-alive connection). Each is rejected and nothing of it is stored.

The receiver's ordinary behaviour (a valid delivery landed before its 200, malformed bodies,
loading what landed) is tested in ``tests/connectors/test_easypost_webhooks.py``.
"""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from connectors.easypost.receiver import WEBHOOK_PATH, create_receiver
from connectors.easypost.signature import SIGNATURE_HEADER, sign
from orderloop.background_server import serving
from tests.connectors.test_easypost_webhooks import NOW, SECRET, tracker_event

BODY_TIMEOUT = 1.0
HEAD_TIMEOUT = 1.0


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    landing = tmp_path / "landing"
    app = create_receiver(landing, SECRET, clock=lambda: NOW, body_timeout=BODY_TIMEOUT)
    with serving(app, head_timeout=HEAD_TIMEOUT) as base_url:
        yield f"{base_url}{WEBHOOK_PATH}", landing


def landed(landing: Path) -> list[Path]:
    return sorted(landing.rglob("*.json")) if landing.exists() else []


def post(url: str, body: bytes, secret: str | None = SECRET) -> requests.Response:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SIGNATURE_HEADER] = sign(body, secret)
    return requests.post(url, data=body, headers=headers, timeout=10)


def encoded(event: dict) -> bytes:
    return json.dumps(event).encode()


def forged_signature(url: str) -> int:
    return post(url, encoded(tracker_event("evt_forged")), secret="whsec_guessed").status_code


def unsigned(url: str) -> int:
    return post(url, encoded(tracker_event("evt_unsigned")), secret=None).status_code


def tampered_after_signing(url: str) -> int:
    """A genuine signature over the original body, sent with a changed status."""
    genuine = encoded(tracker_event("evt_tampered"))
    tampered = encoded(tracker_event("evt_tampered", status="delivered"))
    response = requests.post(url, data=tampered, timeout=10,
                             headers={SIGNATURE_HEADER: sign(genuine, SECRET)})
    return response.status_code


def replayed_old_capture(url: str) -> int:
    """A correctly signed delivery captured a month ago and sent again today."""
    return post(url, encoded(tracker_event("evt_captured", created=NOW - timedelta(days=30)))).status_code


def oversized(url: str) -> int:
    huge = encoded({**tracker_event("evt_big"), "padding": "x" * (2 * 1024 * 1024)})
    return post(url, huge).status_code


def oversized_without_length(url: str) -> int:
    """Chunked, so no Content-Length warns the receiver: it must count as it reads."""
    huge = encoded({**tracker_event("evt_big_chunked"), "padding": "x" * (2 * 1024 * 1024)})
    chunks = (huge[i:i + 65536] for i in range(0, len(huge), 65536))
    response = requests.post(url, data=chunks, timeout=10,
                             headers={SIGNATURE_HEADER: sign(huge, SECRET)})
    return response.status_code


def trickled(url: str) -> int:
    """A correctly signed event sent a few bytes at a time, slower than the body timeout allows."""
    body = encoded(tracker_event("evt_slow"))
    parts = urlsplit(url)
    head = (
        f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n{SIGNATURE_HEADER}: {sign(body, SECRET)}\r\n\r\n"
    ).encode()
    started = time.monotonic()
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(head)
        sock.setblocking(False)
        answer = b""
        for offset in range(0, len(body), 4):
            if time.monotonic() - started > 5 * BODY_TIMEOUT:
                break
            try:
                sock.sendall(body[offset:offset + 4])
            except OSError:  # the receiver closed the connection: the attack is over
                break
            time.sleep(0.1)
            try:
                answer += sock.recv(4096)
            except BlockingIOError:
                continue
            if b"\r\n\r\n" in answer:
                break
        if b"\r\n\r\n" not in answer:  # the receiver closed first: its answer is still buffered
            sock.setblocking(True)
            sock.settimeout(2)
            try:
                answer += sock.recv(4096)
            except OSError:
                pass
    elapsed = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 "), f"no answer after {elapsed:.1f} s: {answer!r}"
    assert elapsed < 3 * BODY_TIMEOUT, f"the trickle held the receiver for {elapsed:.1f} s"
    return int(answer.split()[1])


def _signed_request(url: str, event_id: str) -> bytes:
    body = encoded(tracker_event(event_id))
    parts = urlsplit(url)
    return (
        f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n{SIGNATURE_HEADER}: {sign(body, SECRET)}\r\n\r\n"
    ).encode() + body


def _trickle_head(sock: socket.socket, request: bytes) -> tuple[bytes, float]:
    """Send ``request`` a byte every 50 ms (its head alone takes about 15 s) until the receiver
    answers or closes; then read to the end of the connection. The answer, and how long it took."""
    started = time.monotonic()
    answer = b""
    for byte in request:
        if time.monotonic() - started > 5 * HEAD_TIMEOUT:
            break
        readable, _, _ = select.select([sock], [], [], 0.05)  # answered or closed: stop sending
        if readable:
            break
        try:
            sock.send(bytes([byte]))
        except OSError:
            break
    sock.settimeout(5 * HEAD_TIMEOUT)
    while True:
        try:
            chunk = sock.recv(4096)
        except OSError as error:
            raise AssertionError(f"not closed cleanly: {error!r}; read {answer!r}") from error
        if not chunk:
            return answer, time.monotonic() - started  # closed by the receiver
        answer += chunk


def trickled_headers(url: str) -> int:
    """A correctly signed event whose request line and headers come one byte at a time (slowloris)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        answer, elapsed = _trickle_head(sock, _signed_request(url, "evt_slow_head"))
    assert answer.startswith(b"HTTP/1.1 408 "), f"after {elapsed:.1f} s: {answer!r}"
    assert elapsed < 3 * HEAD_TIMEOUT, f"the trickled head held the connection for {elapsed:.1f} s"
    return int(answer.split()[1])


ATTACKS: list[tuple[Callable[[str], int], int]] = [
    (forged_signature, 401),
    (unsigned, 401),
    (tampered_after_signing, 401),
    (replayed_old_capture, 422),
    (oversized, 413),
    (oversized_without_length, 413),
    (trickled, 408),
    (trickled_headers, 408),
]


@pytest.mark.parametrize(("attack", "status"), ATTACKS, ids=[attack.__name__ for attack, _ in ATTACKS])
def test_an_attack_is_rejected_and_nothing_is_stored(receiver, attack, status):
    url, landing = receiver
    assert attack(url) == status
    assert landed(landing) == []
    # The receiver still serves the next genuine delivery.
    assert post(url, encoded(tracker_event("evt_genuine"))).json()["status"] == "stored"
    assert [path.name for path in landed(landing)] == ["evt_genuine.json"]


def test_a_replayed_recent_delivery_is_acknowledged_but_stored_once(receiver):
    """EasyPost retries until it sees a 200, so a replay of a recent event gets one, and
    changes nothing: the event id is landed once, with the first delivery's content."""
    url, landing = receiver
    body = encoded(tracker_event("evt_once", status="in_transit"))
    statuses = [post(url, body).json()["status"] for _ in range(3)]
    assert statuses == ["stored", "duplicate", "duplicate"]
    files = landed(landing)
    assert [path.name for path in files] == ["evt_once.json"]
    stored = json.loads(files[0].read_text())
    assert stored["result"]["status"] == "in_transit"
    assert datetime.fromisoformat(stored["created_at"].replace("Z", "+00:00")) == NOW.astimezone(UTC)


def test_a_trickled_head_on_a_kept_alive_connection_is_cut_off_too(receiver):
    """One genuine delivery, then the next request's headers trickled on the same connection: the
    keep-alive timer is reset by every byte, so only the head deadline ends it."""
    url, landing = receiver
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(_signed_request(url, "evt_first"))
        first = sock.recv(4096)
        assert first.startswith(b"HTTP/1.1 200 "), first
        answer, elapsed = _trickle_head(sock, _signed_request(url, "evt_slow_second"))
    assert answer.startswith(b"HTTP/1.1 408 "), f"after {elapsed:.1f} s: {answer!r}"
    assert elapsed < 3 * HEAD_TIMEOUT
    assert [path.name for path in landed(landing)] == ["evt_first.json"]


def test_a_connection_that_sends_nothing_is_closed_without_an_answer(receiver):
    url, landing = receiver
    parts = urlsplit(url)
    started = time.monotonic()
    with socket.create_connection((parts.hostname, parts.port), timeout=5 * HEAD_TIMEOUT) as sock:
        assert sock.recv(4096) == b"", "closed, with nothing to answer"
    assert time.monotonic() - started < 3 * HEAD_TIMEOUT
    assert landed(landing) == []
