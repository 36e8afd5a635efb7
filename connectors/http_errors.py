"""Turning a refused HTTP request into an error that says where, never with what.

Used as a ``requests`` response hook by the REST sources. The exception is an
``HTTPError`` carrying the response, so dlt's retrying session still retries 429 (after
``Retry-After``) and 5xx; anything else (401, 404, 400) fails the load at once. The
message names the system and the request URL, with credentials masked in the URL and
scrubbed from the text in case the server echoes them back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from dlt.sources.helpers.requests import Session
from dlt.sources.helpers.rest_client.redaction import SENSITIVE_PARAMS, sanitize_url
from requests import HTTPError, PreparedRequest, Response
from requests.exceptions import ChunkedEncodingError, ConnectionError, Timeout

from connectors.broken_answers import broken_json_message, is_broken_json, retrying_client

MAX_DETAIL_CHARS = 300


class APIRefused(HTTPError):
    """An outside system refused a request (or kept failing after the retries)."""


def refusal_hook(
    system: str,
    error: type[APIRefused],
    secrets: Iterable[str],
    describe_body: Callable[[Any], str | None],
    credential_params: frozenset[str] = frozenset(),
) -> Callable[..., None]:
    """A response hook raising ``error`` on HTTP >= 400; ``describe_body`` reads the error JSON."""
    secrets = tuple(s for s in secrets if s)
    masked = SENSITIVE_PARAMS | credential_params

    def hook(response: Response, *args: Any, **kwargs: Any) -> None:
        if response.status_code < 400:
            return
        method = response.request.method if response.request is not None else "GET"
        message = (
            f"{system} API answered HTTP {response.status_code} {response.reason or ''}".rstrip()
            + f" to {method} {safe_url(response.url, masked)}"
        )
        detail = _detail(response, describe_body)
        if detail:
            message += f" ({detail})"
        for secret in secrets:
            message = message.replace(secret, "***")
        raise error(message, response=response)

    return hook


def safe_url(url: str, masked_params: Iterable[str] = SENSITIVE_PARAMS) -> str:
    """``url`` without user info in the host part and with credential parameters masked."""
    parts = urlsplit(sanitize_url(url, set(masked_params)))
    return unquote(urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2])))


def _detail(response: Response, describe_body: Callable[[Any], str | None]) -> str:
    try:
        body = response.json()
    except ValueError:
        text = " ".join(response.text.split())
        return "" if text.startswith("<") else text[:MAX_DETAIL_CHARS]  # an HTML error page says no more
    return (describe_body(body) or str(body))[:MAX_DETAIL_CHARS]


def retrying_session(
    system: str,
    error: type[APIRefused],
    request_timeout: float | None,
    credential_params: frozenset[str] = frozenset(),
    repeat_posts: bool = False,
) -> Session:
    """dlt's retrying session (429 after ``Retry-After``, 5xx, timeouts, dropped connections, JSON
    cut short); a request still unanswered (or answered with broken JSON) after the retries fails
    naming ``system`` and the URL, since requests' own error names neither. ``None``: dlt's
    ``runtime.request_timeout``. ``repeat_posts``: this client's POSTs are safe to repeat (they
    carry an idempotency key), so one answered with broken JSON is asked again too."""
    session = retrying_client(request_timeout, repeat_posts).session
    send = session.send  # the retrying one
    masked = SENSITIVE_PARAMS | credential_params

    def send_or_name_the_request(request: PreparedRequest, **kwargs: Any) -> Response:
        try:
            response = send(request, **kwargs)
        except (ConnectionError, Timeout, ChunkedEncodingError) as failure:
            url = safe_url(request.url or "", masked)
            raise error(
                f"{system} API did not answer {request.method} {url}: {type(failure).__name__} after retries"
            ) from failure
        if is_broken_json(response):
            url = safe_url(request.url or "", masked)
            message = broken_json_message(system, request.method or "GET", url, response)
            raise error(message, response=response)
        return response

    session.send = send_or_name_the_request  # type: ignore[method-assign]
    return session
