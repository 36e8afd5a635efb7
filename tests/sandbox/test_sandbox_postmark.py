"""The Postmark-compatible email API over real HTTP: sending, Postmark's refusals, searching sent
messages (by metadata, the way a sender recovers after a crash), faults, the log and stats."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from sandbox.faults import FaultConfig
from sandbox.request_log import requests_seen
from sandbox.server import DEFAULT_POSTMARK_SERVER_TOKEN, SandboxServer
from sandbox.stats import world_stats

HEADERS = {"X-Postmark-Server-Token": DEFAULT_POSTMARK_SERVER_TOKEN, "Accept": "application/json"}


def send(
    server: SandboxServer, message: dict[str, Any], headers: dict[str, str] = HEADERS
) -> requests.Response:
    return requests.post(f"{server.url}/postmark/email", json=message, headers=headers, timeout=10)


def search(server: SandboxServer, **params: Any) -> requests.Response:
    query = {"count": 50, "offset": 0, **params}
    return requests.get(f"{server.url}/postmark/messages/outbound", params=query, headers=HEADERS, timeout=10)


def despatch_email(order: str, to: str = "Ada Lovelace <ada@example.com>", **extra: Any) -> dict[str, Any]:
    return {
        "From": "Orderloop Sandbox Store <orders@shop.example>",
        "To": to,
        "Subject": f"Your order {order} is on its way",
        "TextBody": f"Order {order} left the warehouse today.",
        "HtmlBody": f"<p>Order {order} left the warehouse today.</p>",
        "Tag": "despatch",
        "Metadata": {"order": order, "notice": "despatch"},
        "MessageStream": "outbound",
        **extra,
    }


def test_send_and_search_by_metadata(world: Path) -> None:
    with SandboxServer(world) as server:
        sent = send(server, despatch_email("#1001"))
        assert sent.status_code == 200, sent.text
        answer = sent.json()
        assert set(answer) == {"To", "SubmittedAt", "MessageID", "ErrorCode", "Message"}
        assert answer["To"] == "Ada Lovelace <ada@example.com>"
        assert (answer["ErrorCode"], answer["Message"]) == (0, "OK")
        assert answer["SubmittedAt"] == "2026-11-04T07:00:00.0000000-05:00"  # the world clock, Eastern time
        assert len(answer["MessageID"]) == 36
        second = send(server, despatch_email("#1002", to="bob@example.com", Tag="delay", Cc="cc@example.com"))
        assert second.json()["Cc"] == "cc@example.com"
        send(server, despatch_email("#1003", MessageStream="broadcast"))

        found = search(server, metadata_order="#1001").json()
        assert found["TotalCount"] == 1
        (message,) = found["Messages"]
        assert message["MessageID"] == answer["MessageID"]
        assert message["To"] == [{"Email": "ada@example.com", "Name": "Ada Lovelace"}]
        assert message["Recipients"] == ["ada@example.com"] and message["Status"] == "Sent"
        assert message["Metadata"] == {"order": "#1001", "notice": "despatch"}
        assert (message["Tag"], message["MessageStream"], message["Subject"]) == (
            "despatch", "outbound", "Your order #1001 is on its way"
        )  # fmt: skip
        assert search(server, metadata_order="#9999").json() == {"TotalCount": 0, "Messages": []}
        everything = search(server).json()
        assert [m["Metadata"]["order"] for m in everything["Messages"]] == ["#1002", "#1001"]  # newest first
        assert search(server, recipient="CC@example.com").json()["TotalCount"] == 1
        assert search(server, tag="despatch").json()["TotalCount"] == 1
        assert search(server, fromemail="orders@shop.example").json()["TotalCount"] == 2
        assert search(server, messagestream="broadcast").json()["TotalCount"] == 1
        assert search(server, fromdate="2026-11-04", todate="2026-11-04").json()["TotalCount"] == 2
        assert search(server, todate="2026-11-03").json()["TotalCount"] == 0
        paged = search(server, count=1, offset=1).json()
        assert paged["TotalCount"] == 2 and [m["Metadata"]["order"] for m in paged["Messages"]] == ["#1001"]
        outbound = f"{server.url}/postmark/messages/outbound"
        detail_url = f"{outbound}/{answer['MessageID']}/details"
        details = requests.get(detail_url, headers=HEADERS, timeout=10).json()
        assert details["TextBody"] == "Order #1001 left the warehouse today."
        assert details["MessageEvents"][0]["Type"] == "Delivered"
        missing = requests.get(f"{outbound}/nope/details", headers=HEADERS, timeout=10)
        assert missing.status_code == 422 and missing.json()["ErrorCode"] == 701
    assert world_stats(world)["postmark"] == {"emails_sent": 3, "emails_by_tag": {"delay": 1, "despatch": 2}}
    assert {r["system"] for r in requests_seen(world)} == {"postmark"}


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        ({"To": ""}, 300, "Zero recipients specified"),
        ({"To": "not-an-address"}, 300, "Error parsing 'To': Illegal email address 'not-an-address'."),
        ({"TextBody": None, "HtmlBody": ""}, 300, "Provide either email TextBody or HtmlBody or both."),
        ({"To": ", ".join(f"r{n}@example.com" for n in range(51))}, 300, "Maximum of 50 recipients"),
        ({"From": None}, 300, "Invalid 'From' address"),
        ({"Metadata": {"a_name_longer_than_twenty": "x"}}, 300, "Invalid metadata"),
        ({"MessageStream": "marketing"}, 1235, "marketing"),
    ],
)
def test_invalid_email_requests_are_422(world: Path, change: dict[str, Any], code: int, message: str) -> None:
    with SandboxServer(world) as server:
        response = send(server, {**despatch_email("#1001"), **change})
    assert response.status_code == 422
    assert response.json()["ErrorCode"] == code and message in response.json()["Message"]
    assert world_stats(world)["postmark"]["emails_sent"] == 0


def test_tokens_and_json_are_checked(world: Path) -> None:
    with SandboxServer(world) as server:
        missing = send(server, despatch_email("#1001"), headers={})
        assert missing.status_code == 401 and missing.json()["ErrorCode"] == 10
        wrong = send(server, despatch_email("#1001"), headers={"X-Postmark-Server-Token": "nope"})
        assert wrong.status_code == 401
        assert wrong.json() == {"ErrorCode": 10, "Message": "Request does not contain a valid Server token."}
        garbled = requests.post(
            f"{server.url}/postmark/email",
            data="{nope",
            headers={**HEADERS, "Content-Type": "application/json"},
            timeout=10,
        )
        assert garbled.status_code == 422 and garbled.json()["ErrorCode"] == 402
        no_paging = requests.get(f"{server.url}/postmark/messages/outbound", headers=HEADERS, timeout=10)
        assert no_paging.status_code == 422
        assert search(server, count=501).status_code == 422
        assert search(server, count=500, offset=9600).status_code == 422
        assert requests.get(f"{server.url}/postmark/messages/outbound", timeout=10).status_code == 401
        nowhere = requests.get(f"{server.url}/postmark/nothing-here", headers=HEADERS, timeout=10)
        assert nowhere.status_code == 404


def test_postmark_is_faulted_only_when_named(world: Path) -> None:
    with SandboxServer(world, faults=FaultConfig(fail_every=1)) as server:
        assert send(server, despatch_email("#1001")).status_code == 200  # not a default fault system
    faults = FaultConfig(fail_every=2, reset_every=3, systems=("postmark",))
    with SandboxServer(world, faults=faults) as server:
        assert send(server, despatch_email("#1002")).status_code == 200
        failed = send(server, despatch_email("#1003"))
        assert failed.status_code == 503 and failed.json()["ErrorCode"] == 100
        with pytest.raises(requests.exceptions.ConnectionError):
            send(server, despatch_email("#1004"))
    with SandboxServer(world) as server:
        orders = [m["Metadata"]["order"] for m in search(server).json()["Messages"]]
    assert orders == ["#1002", "#1001"]  # neither the failed nor the dropped one was sent
    assert [r["status"] for r in requests_seen(world, "postmark")] == [200, 200, 503, 0, 200]


def test_a_stalled_send_is_found_by_searching_its_metadata(world: Path) -> None:
    faults = FaultConfig(stall_every=1, stall_seconds=0.6, systems=("postmark",))
    with SandboxServer(world, faults=faults) as server:
        with pytest.raises(requests.exceptions.ReadTimeout):
            requests.post(
                f"{server.url}/postmark/email", json=despatch_email("#1001"), headers=HEADERS, timeout=0.2
            )  # the client gives up; Postmark still sends it
        found = search(server, metadata_order="#1001")  # stalled too, then answered
    assert found.json()["TotalCount"] == 1


def test_a_slow_answer_is_carried_out_before_the_client_hears_of_it(world: Path) -> None:
    """The crash window: the send happened, its answer has not reached the client yet."""
    faults = FaultConfig(systems=("postmark",), slow_answer_matching="/postmark/email", stall_seconds=30)
    with SandboxServer(world, faults=faults) as server:
        with pytest.raises(requests.exceptions.ReadTimeout):
            requests.post(f"{server.url}/postmark/email", json=despatch_email("#2001"), headers=HEADERS,
                          timeout=1)
        assert world_stats(world)["postmark"]["emails_sent"] == 1
        # Requests that do not match answer at once.
        found = search(server, **{"metadata_order": "#2001"})
        assert found.status_code == 200 and found.json()["TotalCount"] == 1
