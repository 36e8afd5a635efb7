"""A 2xx answer whose JSON body does not parse, treated as the transient fault it is.

A proxy or CDN that cut an answer short, or a half-written cache entry, hands out a 200 whose
JSON ends mid-record. Parsing it fails deep inside dlt with a bare ``JSONDecodeError`` that names
neither the system nor the request, and fails the whole load. Like a 503 it usually does not
happen twice: every HTTP client of ``connectors/`` asks again with dlt's backoff
(``runtime.request_max_attempts``), and an answer still broken after that fails naming the system
and the request. (A body cut by a dropped connection is requests' ``ChunkedEncodingError``, which
dlt's retries already cover.)

Only a request that is safe to repeat is asked again: GET, HEAD, PUT, DELETE, and a POST only
where the client says so (one carrying an idempotency key or reference, or a read-only GraphQL
query). A broken answer to any other POST (a Postmark email) may mean it was carried out, so it
fails at once and the action's ledger keeps it pending for the next pass to look up.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from dlt.sources.helpers.requests import Client
from requests import Response

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


def is_broken_json(response: Response | None, exception: BaseException | None = None) -> bool:
    """A successful answer that says it is JSON and does not parse (dlt's retry predicate)."""
    if response is None or exception is not None or not 200 <= response.status_code < 300:
        return False
    # JSON itself, not JSON Lines (a Shopify bulk file, read as it streams, line by line).
    media_type = response.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
    if not (media_type.endswith("/json") or media_type.endswith("+json")) or not response.content:
        return False
    try:
        json.loads(response.content)
    except ValueError:
        return True
    return False


def worth_asking_again(repeat_posts: bool) -> Callable[[Response | None, BaseException | None], bool]:
    """dlt's retry predicate: broken JSON in answer to a request that is safe to repeat."""

    def predicate(response: Response | None, exception: BaseException | None) -> bool:
        if response is None or not is_broken_json(response, exception):
            return False
        method = (response.request.method if response.request is not None else None) or "GET"
        return method.upper() in IDEMPOTENT_METHODS or repeat_posts

    return predicate


def retrying_client(request_timeout: float | None, repeat_posts: bool = False) -> Client:
    """dlt's retrying client (429 after ``Retry-After``, 5xx, timeouts, dropped connections) that
    also asks again after broken JSON (a POST only with ``repeat_posts``); ``None``: dlt's
    ``runtime.request_timeout``."""
    timeout = {} if request_timeout is None else {"request_timeout": request_timeout}
    return Client(raise_for_status=False, retry_condition=worth_asking_again(repeat_posts), **timeout)


def broken_json_message(system: str, method: str, url: str, response: Response, retried: bool = True) -> str:
    """What to say when the answer was (still, if ``retried``) broken (``url`` already masked)."""
    return (
        f"{system} API answered {method} {url} with HTTP {response.status_code} but its JSON is cut short"
        f" or invalid ({len(response.content)} bytes)" + (" after retries" if retried else "")
    )
