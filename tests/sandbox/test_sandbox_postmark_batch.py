"""Postmark's batch endpoint over real HTTP (POST /postmark/email/batch): up to 500 messages in one
request, each validated as POST /email validates it and answered with its own result, in order; a
refused message is not kept while the others are; request-level refusals keep nothing; faults apply."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

from sandbox.faults import FaultConfig
from sandbox.request_log import requests_seen
from sandbox.server import DEFAULT_POSTMARK_SERVER_TOKEN, SandboxServer
from sandbox.stats import world_stats

HEADERS = {"X-Postmark-Server-Token": DEFAULT_POSTMARK_SERVER_TOKEN, "Accept": "application/json"}


def batch(server: SandboxServer, body: Any, headers: dict[str, str] = HEADERS) -> requests.Response:
    return requests.post(f"{server.url}/postmark/email/batch", json=body, headers=headers, timeout=30)


def email(order: str, to: str = "ada@example.com", **extra: Any) -> dict[str, Any]:
    return {
        "From": "Orderloop Sandbox Store <orders@shop.example>",
        "To": to,
        "Subject": f"Your order {order} is on its way",
        "TextBody": f"Order {order} left the warehouse today.",
        "Tag": "despatch",
        "Metadata": {"order": order},
        "MessageStream": "outbound",
        **extra,
    }


def _sent(world: Path) -> int:
    return int(world_stats(world)["postmark"]["emails_sent"])


def test_each_message_gets_its_own_result_in_order_and_a_refused_one_is_not_kept(world: Path) -> None:
    with SandboxServer(world) as server:
        messages = [email("#1001"), email("#1002", to="not-an-address"), email("#1003", to="b@x.org")]
        answer = batch(server, messages)
        assert answer.status_code == 200, answer.text
        first, refused, third = answer.json()
        assert set(first) == {"To", "SubmittedAt", "MessageID", "ErrorCode", "Message"}
        assert (first["ErrorCode"], first["Message"], first["To"]) == (0, "OK", "ada@example.com")
        assert first["SubmittedAt"] == "2026-11-04T07:00:00.0000000-05:00"
        assert (third["ErrorCode"], third["To"]) == (0, "b@x.org")
        assert refused["ErrorCode"] == 300 and "'@'" in refused["Message"] and "MessageID" not in refused
        assert len({first["MessageID"], third["MessageID"]}) == 2

        found = requests.get(
            f"{server.url}/postmark/messages/outbound",
            params={"count": 50, "offset": 0}, headers=HEADERS, timeout=10,
        ).json()
        assert sorted(m["Metadata"]["order"] for m in found["Messages"]) == ["#1001", "#1003"]
        url = f"{server.url}/postmark/messages/outbound/{third['MessageID']}/details"
        details = requests.get(url, headers=HEADERS, timeout=10).json()
        assert details["TextBody"] == "Order #1003 left the warehouse today."
    assert world_stats(world)["postmark"] == {"emails_sent": 2, "emails_by_tag": {"despatch": 2}}
    assert [(r["method"], r["path"], r["status"]) for r in requests_seen(world, "postmark")][0] == (
        "POST", "/postmark/email/batch", 200
    )


def test_every_message_is_checked_as_a_single_send_is(world: Path) -> None:
    bad = [
        email("#1", To=""),  # no recipients
        email("#2", TextBody=None),  # no body
        email("#3", MessageStream="nowhere"),
        email("#4", Metadata={"x" * 21: "1"}),
        "not a message",
    ]
    with SandboxServer(world) as server:
        answer = batch(server, [*bad, email("#5")])
    assert answer.status_code == 200
    codes = [result["ErrorCode"] for result in answer.json()]
    assert codes == [300, 300, 1235, 300, 403, 0]
    assert _sent(world) == 1


def test_a_refused_request_keeps_nothing(world: Path) -> None:
    with SandboxServer(world) as server:
        unauthorised = batch(server, [email("#1")], headers={"Accept": "application/json"})
        assert (unauthorised.status_code, unauthorised.json()["ErrorCode"]) == (401, 10)
        wrong = batch(server, [email("#1")], headers={**HEADERS, "X-Postmark-Server-Token": "nope"})
        assert wrong.status_code == 401
        too_many = batch(server, [email(f"#{n}") for n in range(501)])
        assert (too_many.status_code, too_many.json()["ErrorCode"]) == (422, 300)
        assert "500" in too_many.json()["Message"]
        not_a_list = batch(server, email("#1"))
        assert not_a_list.status_code == 422
        broken = requests.post(
            f"{server.url}/postmark/email/batch", data=b"[{", timeout=10,
            headers={**HEADERS, "Content-Type": "application/json"},
        )
        assert (broken.status_code, broken.json()["ErrorCode"]) == (422, 402)
        assert batch(server, []).json() == []
        full = batch(server, [email(f"#{n}", to=f"c{n}@example.org") for n in range(500)])
        assert full.status_code == 200 and {r["ErrorCode"] for r in full.json()} == {0}
    assert _sent(world) == 500


def test_faults_apply_to_the_batch_endpoint(world: Path) -> None:
    """A 503 keeps nothing; an answer garbled or cut off comes after the batch was carried out."""
    with SandboxServer(world, faults=FaultConfig(systems=("postmark",), fail_every=1)) as server:
        assert batch(server, [email("#1")]).status_code == 503
    assert _sent(world) == 0
    with SandboxServer(world, faults=FaultConfig(systems=("postmark",), garble_every=1)) as server:
        garbled = batch(server, [email("#2"), email("#3")])
        assert garbled.status_code == 200
        try:
            garbled.json()
            raise AssertionError("a garbled answer parsed")
        except ValueError:
            pass
    assert _sent(world) == 2
    with SandboxServer(world, faults=FaultConfig(systems=("postmark",), cut_every=1)) as server:
        try:
            batch(server, [email("#4")])
            raise AssertionError("a cut answer was read whole")
        except requests.exceptions.ChunkedEncodingError:
            pass
        assert server.fault_counts()["postmark"]["by_kind"] == {"cut": 1}
    assert _sent(world) == 3
