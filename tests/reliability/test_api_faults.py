"""Answers broken in transit, from every pulled API: a connection dropped half-way through the body,
a 200 whose JSON is cut short, a page served twice. Each source retries (or fails naming itself and
the request) and the warehouse ends up holding every record the sandbox holds, once.

The 429/Retry-After, 5xx, stall, reset-before-answer and whole-run outage cases of each source are in
tests/connectors/test_*_source.py; this file adds what those do not inject.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import duckdb
import pytest

from connectors.click_and_drop.source import click_and_drop_source
from connectors.destination import warehouse_pipeline
from connectors.shopify import shopify_source
from connectors.stripe import DEFAULT_EVENT_TYPES, stripe_source
from connectors.woocommerce import woocommerce_source
from connectors.zendesk import zendesk_source
from orderloop.sandbox_mode import sources_pointing_at
from sandbox.faults import FaultConfig
from sandbox.request_log import requests_seen
from sandbox.server import SandboxServer
from sandbox.stats import world_stats
from tests.conftest import PLUS_PLAN


def _stripe_events(stats: dict) -> int:
    return sum(n for kind, n in stats["stripe"]["events_by_type"].items() if kind in DEFAULT_EVENT_TYPES)


# system: (build the source with small pages, its root table and key, what the sandbox holds)
SOURCES: dict[str, tuple[Callable[[], object], str, str, Callable[[dict], int]]] = {
    "shopify": (lambda: shopify_source(page_size=7), "orders", "id", lambda s: s["shopify"]["orders_total"]),
    "woocommerce": (
        lambda: woocommerce_source(per_page=7), "orders", "id", lambda s: s["woocommerce"]["orders_total"]
    ),
    "stripe": (stripe_source, "events", "id", _stripe_events),
    "zendesk": (
        lambda: zendesk_source(page_size=2), "tickets", "id", lambda s: s["zendesk"]["tickets_total"]
    ),
    "click_and_drop": (
        lambda: click_and_drop_source(page_size=10),
        "shipments",
        "order_identifier",
        lambda s: s["click_and_drop"]["bookings_accepted"],
    ),
}


def _rows(paths, system: str, table: str, key: str) -> tuple[int, int]:
    with duckdb.connect(str(paths.warehouse), read_only=True) as conn:
        return conn.execute(f"select count(*), count(distinct {key}) from raw_{system}.{table}").fetchone()


@pytest.mark.parametrize("system", list(SOURCES))
@pytest.mark.parametrize("fault", ["cut_every", "garble_every"], ids=["reset-mid-body", "truncated-json"])
def test_a_broken_answer_is_asked_again_and_every_record_lands_once(world, monkeypatch, system, fault):
    build, table, key, expected = SOURCES[system]
    monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0.05")
    faults = FaultConfig(systems=(system,), **{fault: 3})
    with SandboxServer(world.sandbox, throttle=PLUS_PLAN, faults=faults) as server, \
            sources_pointing_at(server.url):
        pipeline = warehouse_pipeline(system, world.warehouse, world.dlt_pipelines)
        info = pipeline.run(build())
    assert not info.has_failed_jobs
    total = expected(world_stats(world.sandbox))
    assert total > 3, "enough records for several pages"
    assert _rows(world, system, table, key) == (total, total)
    # Every third answer was broken and asked again: the same request more than once.
    answered = [(r["method"], r["path"], r["query"]) for r in requests_seen(world.sandbox, system=system)]
    assert len(answered) >= 3
    if system != "shopify":  # GraphQL's request is in its body, which the log does not keep
        assert len(set(answered)) < len(answered), "a broken answer should have been asked for again"


@pytest.mark.parametrize("system", ["woocommerce", "stripe", "zendesk", "shopify"])
def test_json_that_stays_broken_fails_naming_the_system_and_the_request(world, monkeypatch, system):
    from tests.connectors.support import fail_during_outage

    build = SOURCES[system][0]
    message, _, url = fail_during_outage(monkeypatch, world, system, {"garble_every": 1}, build)
    names = {"woocommerce": "WooCommerce", "stripe": "Stripe", "zendesk": "Zendesk", "shopify": "Shopify"}
    name = names[system]
    assert f"{name} API answered" in message and "JSON is cut short or invalid" in message, message
    assert url in message, message
    with duckdb.connect(str(world.warehouse), read_only=True) as conn:
        tables = conn.execute(
            "select count(*) from information_schema.tables where table_schema = ?", [f"raw_{system}"]
        ).fetchone()[0]
    assert tables == 0, "nothing of the failed extract reached the warehouse"


def _edit_woo_order_when_first_page_is_read(monkeypatch, world) -> list[int]:
    """Once the first page of orders has been answered, the merchant edits its first order in
    wp-admin (its modified time becomes the world's now): it moves to the end of the listing and
    every later order moves one place up. Returns the edited order's id once it happened."""
    from requests.adapters import HTTPAdapter

    from sandbox.timeutil import to_iso
    from sandbox.world import opened, world_now

    edited: list[int] = []
    send = HTTPAdapter.send

    def send_then_edit(self, request, *args, **kwargs):
        response = send(self, request, *args, **kwargs)
        if not edited and request.path_url.startswith("/wp-json/wc/v3/orders?") and response.ok:
            first = response.json()[0]["id"]
            with opened(world.sandbox, write=True) as conn:
                now = to_iso(world_now(conn))
                conn.execute("UPDATE woo_orders SET modified_gmt = ? WHERE id = ?", (now, first))
            edited.append(first)
        return response

    monkeypatch.setattr(HTTPAdapter, "send", send_then_edit)
    return edited


def test_woocommerce_pages_shifted_by_an_edit_mid_run_lose_no_order(world, monkeypatch):
    edited = _edit_woo_order_when_first_page_is_read(monkeypatch, world)
    with SandboxServer(world.sandbox) as server, sources_pointing_at(server.url):
        pipeline = warehouse_pipeline("woocommerce", world.warehouse, world.dlt_pipelines)
        assert not pipeline.run(woocommerce_source(per_page=7)).has_failed_jobs
    assert edited, "the order should have been edited mid-run"
    stats = world_stats(world.sandbox)["woocommerce"]
    assert _rows(world, "woocommerce", "orders", "id") == (stats["orders_total"], stats["orders_total"])
    with duckdb.connect(str(world.warehouse), read_only=True) as conn:
        lines, distinct_lines = conn.execute(
            "select count(*), count(distinct id) from raw_woocommerce.orders__line_items"
        ).fetchone()
        notes = conn.execute(
            "select count(*), count(distinct id) from raw_woocommerce.order_notes"
        ).fetchone()
        edited_at = conn.execute(
            "select date_modified_gmt from raw_woocommerce.orders where id = ?", [edited[0]]
        ).fetchone()[0]
        newest = conn.execute("select max(date_modified_gmt) from raw_woocommerce.orders").fetchone()[0]
    assert lines == distinct_lines, "the orders read twice have their lines once"
    assert notes == (stats["notes_total"], stats["notes_total"])
    assert edited_at == newest, "the edit itself was loaded"
    pages = [r["query"] for r in requests_seen(world.sandbox, system="woocommerce")
             if r["path"] == "/wp-json/wc/v3/orders"]
    assert sum("page=1&" in q or q.endswith("page=1") for q in pages) == 2, "one sweep from page 1 again"


def _postmark(url: str) -> Any:
    from connectors.postmark import PostmarkClient
    from orderloop.sandbox_mode import SANDBOX_POSTMARK_TOKEN

    return PostmarkClient(f"{url}/postmark", SANDBOX_POSTMARK_TOKEN, "shop@sandbox.example")


def test_an_email_answered_with_broken_json_is_not_sent_again_and_is_found_by_the_next_pass(world):
    """Postmark has no idempotency key: a send whose answer is broken may have gone out, so it is
    never repeated on the spot; the next pass finds it by the key in its metadata."""
    from connectors.postmark.client import PostmarkError

    sent_before = world_stats(world.sandbox)["postmark"]["emails_sent"]
    garbled = FaultConfig(systems=("postmark",), garble_every=1)
    with SandboxServer(world.sandbox, faults=garbled) as server:
        with pytest.raises(PostmarkError) as failure:
            _postmark(server.url).send("ann@example.co.uk", "Despatched", "On its way", "despatched", "key-1")
    assert "JSON is cut short" in str(failure.value) and "POST" in str(failure.value)
    assert world_stats(world.sandbox)["postmark"]["emails_sent"] == sent_before + 1, "sent once, not repeated"
    with SandboxServer(world.sandbox) as server:
        assert _postmark(server.url).find("key-1") is not None, "the next pass finds what was sent"


def test_a_send_answered_429_waits_and_is_sent_once(world):
    """A 429 means Postmark did nothing, so the send waits out Retry-After and goes again at once,
    instead of waiting a whole tick for the next pass's look-up."""
    sent_before = world_stats(world.sandbox)["postmark"]["emails_sent"]
    limited = FaultConfig(systems=("postmark",), rate_limit_per_second=1)
    with SandboxServer(world.sandbox, faults=limited) as server:
        client = _postmark(server.url)
        ids = [client.send("cy@example.co.uk", "Despatched", "On its way", "despatched", f"busy-{n}")
               for n in range(2)]
        limited_answers = server.fault_counts()["postmark"]["by_kind"].get("rate_limit", 0)
    assert limited_answers >= 1, "the second send met the rate limit"
    assert len(set(ids)) == 2
    assert world_stats(world.sandbox)["postmark"]["emails_sent"] == sent_before + 2, "each sent once"


def test_a_stale_search_answer_neither_resends_nor_invents_an_email(world):
    """The soak's one duplicate email: a look-up answered with another search's stale answer. Every
    other search of the path answers with the one before it: an answer naming another message is not
    taken for this one, and a stale empty answer does not make a sent email look unsent."""
    with SandboxServer(world.sandbox) as server:
        sent = _postmark(server.url).send("bo@example.co.uk", "Despatched", "On its way", "despatched",
                                          "stale-sent")
    with SandboxServer(world.sandbox, faults=FaultConfig(systems=("postmark",), replay_every=2)) as server:
        client = _postmark(server.url)
        assert client.find("stale-sent") == sent  # request 1, fresh
        assert client.find("stale-never-sent") is None, "request 2 replays request 1's answer: not ours"
        assert client.find("stale-sent") == sent, "request 4 replays request 3's empty answer; 5 finds it"
        replays = server.fault_counts()["postmark"]["by_kind"].get("replay", 0)
    assert replays == 2, "both stale answers were really served"


@pytest.mark.parametrize("system", ["woocommerce", "stripe", "zendesk", "click_and_drop"])
def test_a_page_served_twice_repeats_no_record_in_the_warehouse(world, monkeypatch, system):
    """A stale cache answers every third page request with the last page of that path (its cursor
    or page links as they were): the client meets the same records twice and stores them once."""
    build, table, key, expected = SOURCES[system]
    faults = FaultConfig(systems=(system,), replay_every=3)
    with SandboxServer(world.sandbox, faults=faults) as server, sources_pointing_at(server.url):
        pipeline = warehouse_pipeline(system, world.warehouse, world.dlt_pipelines)
        assert not pipeline.run(build()).has_failed_jobs
    assert len(requests_seen(world.sandbox, system=system)) >= 3, "at least one page was served twice"
    total = expected(world_stats(world.sandbox))
    assert _rows(world, system, table, key) == (total, total)


def test_a_batch_answered_429_waits_and_each_message_is_sent_once(world):
    """A 429 on a batch means Postmark took none of it: waited out and sent again whole, once."""
    from connectors.postmark import OutgoingEmail

    sent_before = world_stats(world.sandbox)["postmark"]["emails_sent"]
    limited = FaultConfig(systems=("postmark",), rate_limit_per_second=1)
    with SandboxServer(world.sandbox, faults=limited) as server:
        client = _postmark(server.url)
        batches = [
            client.send_batch([
                OutgoingEmail(f"d{b}{n}@example.co.uk", "Despatched", "Away", "despatched", f"busy-{b}-{n}")
                for n in range(3)
            ])
            for b in range(2)
        ]
        limited_answers = server.fault_counts()["postmark"]["by_kind"].get("rate_limit", 0)
    assert limited_answers >= 1, "the second batch met the rate limit"
    assert all(result.accepted for results in batches for result in results)
    assert world_stats(world.sandbox)["postmark"]["emails_sent"] == sent_before + 6, "each sent once"


def test_a_batch_refused_as_a_whole_is_known_unsent_and_one_without_an_answer_is_unknown(world):
    """A 401 (or 422) means nothing of the batch was taken; a 503 or an answer cut short leaves
    each message's fate unknown, to be looked up before any resend."""
    from connectors.postmark import OutgoingEmail, PostmarkClient
    from connectors.postmark.client import PostmarkError, PostmarkOutcomeUnknown

    batch = [OutgoingEmail("ed@example.co.uk", "Despatched", "On its way", "despatched", "whole-1")]
    with SandboxServer(world.sandbox) as server:
        with pytest.raises(PostmarkError) as refused:
            PostmarkClient(f"{server.url}/postmark", "wrong-token", "shop@sandbox.example").send_batch(batch)
    assert not isinstance(refused.value, PostmarkOutcomeUnknown) and "401" in str(refused.value)
    for fault in ("fail_every", "garble_every"):
        with SandboxServer(world.sandbox, faults=FaultConfig(systems=("postmark",), **{fault: 1})) as server:
            with pytest.raises(PostmarkOutcomeUnknown):
                _postmark(server.url).send_batch(batch)


@contextmanager
def _proxy_answering(status: int, body: bytes, content_type: str) -> Iterator[tuple[str, list[bytes]]]:
    """A local HTTP server standing in for a proxy in front of Postmark: every request answered
    ``status`` with ``body`` (answers the sandbox's fault injection cannot give: a 408, a 499, an
    empty or HTML 200). It counts the POSTs it got in ``posts``."""
    posts: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            posts.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", posts
    finally:
        server.shutdown()
        server.server_close()


REFUSAL = b'{"ErrorCode": 300, "Message": "Invalid request"}'


@pytest.mark.parametrize(
    ("status", "body", "content_type", "unknown"),
    [
        (200, b"", "text/plain", True),  # empty: requests' JSONDecodeError before the fix
        (200, b"<html><body>Bad gateway</body></html>", "text/html", True),
        (408, b"", "text/plain", True),  # a proxy's timeout: Postmark may have acted
        (499, b"client closed request", "text/plain", True),
        (302, b"", "text/plain", True),
        (504, b"", "text/plain", True),
        (400, REFUSAL, "application/json", False),
        (404, REFUSAL, "application/json", False),
        (413, REFUSAL, "application/json", False),
        (422, REFUSAL, "application/json", False),
    ],
)
def test_a_batch_answer_counts_as_not_sent_only_for_documented_refusals(status, body, content_type, unknown):
    """Only 400, 401, 403, 404, 413, 422 and 429 mean Postmark took none of a batch; any other
    non-2xx, and a 200 that is not JSON at all, leaves each message's fate unknown
    (PostmarkOutcomeUnknown, looked up before any resend). The batch is never sent twice here."""
    from connectors.postmark import OutgoingEmail, PostmarkClient
    from connectors.postmark.client import PostmarkError, PostmarkOutcomeUnknown

    batch = [OutgoingEmail("fi@example.co.uk", "Despatched", "On its way", "despatched", "proxy-1")]
    with _proxy_answering(status, body, content_type) as (url, posts):
        client = PostmarkClient(f"{url}/postmark", "token", "shop@sandbox.example", request_timeout=10)
        with pytest.raises(PostmarkError) as failure:
            client.send_batch(batch)
    assert isinstance(failure.value, PostmarkOutcomeUnknown) is unknown, failure.value
    assert len(posts) == 1, "sent once, never again on the spot"


def test_a_permanent_per_message_refusal_is_told_apart_from_a_passing_one():
    """ErrorCode 406 (inactive recipient) and 300 (invalid request) come back on every resend;
    others (say 1235, a stream not set up yet) may not."""
    from connectors.postmark import OutgoingEmail, PostmarkClient

    answers = json.dumps([
        {"ErrorCode": code, "Message": "refused", "To": f"r{code}@example.co.uk"} for code in (406, 300, 1235)
    ]).encode()
    batch = [OutgoingEmail(f"r{code}@example.co.uk", "D", "T", "despatched", f"k{code}")
             for code in (406, 300, 1235)]
    with _proxy_answering(200, answers, "application/json") as (url, _):
        results = PostmarkClient(f"{url}/postmark", "token", "shop@sandbox.example").send_batch(batch)
    assert [(r.accepted, r.error_code, r.refused_for_good) for r in results] == [
        (False, 406, True), (False, 300, True), (False, 1235, False)
    ]
