"""dlt source for Stripe events (``GET /v1/events``): the payment lifecycle as it happened.

Events rather than PaymentIntents because an event keeps the object as it was at that
moment (authorised, captured, failed, refunded, disputed) and events are immutable, so an
incremental cursor on ``created`` never misses a later change to an object: the change is
a new event. Each run asks for ``created[gte]`` the last cursor (dlt drops the events
already loaded at that second by id) and merges on the event id.

Stripe keeps events for 30 days; the first run loads what it still has.
"""

from __future__ import annotations

from typing import Any

import dlt
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.rest_api import rest_api_resources
from dlt.sources.rest_api.typing import RESTAPIConfig

from connectors.quarantine import all_of, present, quarantine_invalid, unix_seconds
from connectors.schema_hints import nullable_columns
from connectors.stripe.errors import raise_when_refused, retrying_session
from connectors.stripe.paging import StripeCursorPaginator

PAGE_LIMIT = 100  # Stripe's maximum

def _has_object(event: dict[str, Any]) -> str | None:
    return None if isinstance((event.get("data") or {}).get("object"), dict) else "data.object is missing"


EVENT_CHECK = all_of(present("id"), unix_seconds("created"), _has_object)

DEFAULT_EVENT_TYPES: tuple[str, ...] = (
    "payment_intent.created",
    "payment_intent.amount_capturable_updated",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    # Charges carry Radar's outcome (risk score and level); reviews hold a payment for a person.
    "charge.succeeded",
    "charge.captured",
    "charge.failed",
    "charge.refunded",
    "review.opened",
    "review.closed",
)




# ``data.object`` is a PaymentIntent, a Charge or a Review depending on ``type``; these are
# the fields staging reads, declared so they exist whichever object kinds a load happened to see.
EVENT_COLUMNS = nullable_columns(
    type="text",
    created="bigint",
    livemode="bool",
    data__object__id="text",
    data__object__object="text",
    data__object__status="text",
    data__object__amount="bigint",
    data__object__amount_capturable="bigint",
    data__object__amount_received="bigint",
    data__object__amount_refunded="bigint",
    data__object__currency="text",
    data__object__capture_method="text",
    data__object__payment_intent="text",
    data__object__charge="text",
    data__object__captured="bool",
    data__object__refunded="bool",
    data__object__reason="text",
    data__object__closed_reason="text",
    data__object__outcome__risk_score="bigint",
    data__object__outcome__risk_level="text",
    data__object__outcome__type="text",
    data__object__metadata__order_id="text",
    data__object__metadata__order_reference="text",
    data__object__last_payment_error__code="text",
    data__object__last_payment_error__decline_code="text",
    data__object__last_payment_error__message="text",
)


@dlt.source(name="stripe", max_table_nesting=3)
def stripe_source(
    api_key: str = dlt.secrets.value,
    base_url: str = "https://api.stripe.com",
    event_types: list[str] | None = None,
    request_timeout: float | None = None,
) -> Any:
    """Table ``events``; ``event_types`` defaults to the payment lifecycle, ``[]`` asks for all.

    ``request_timeout`` (seconds, ``sources.stripe.request_timeout``) bounds each request; a
    request that times out is retried. Default: dlt's ``runtime.request_timeout``.
    """
    types = list(DEFAULT_EVENT_TYPES if event_types is None else event_types)
    params: dict[str, Any] = {
        "limit": PAGE_LIMIT,
        "created[gte]": {
            "type": "incremental",
            "cursor_path": "created",
            "initial_value": None,
            # An event without `created` is quarantined below rather than failing the load.
            "on_cursor_value_missing": "include",
        },
    }
    if types:
        params["types[]"] = types
    config: RESTAPIConfig = {
        "client": {
            "base_url": f"{base_url.rstrip('/')}/v1/",
            "auth": BearerTokenAuth(api_key),
            "session": retrying_session(request_timeout),
        },
        "resources": [
            {
                "name": "events",
                "primary_key": "id",
                "write_disposition": "merge",
                "columns": EVENT_COLUMNS,
                "processing_steps": [
                    {"map": _without_client_secret},
                    {"yield_map": quarantine_invalid("events", EVENT_CHECK)},
                ],
                "endpoint": {
                    "path": "events",
                    "params": params,
                    "data_selector": "data",
                    "paginator": StripeCursorPaginator(),
                    "response_actions": [raise_when_refused(api_key)],
                },
            }
        ],
    }
    return rest_api_resources(config)


def _without_client_secret(event: dict[str, Any]) -> dict[str, Any]:
    """A PaymentIntent's ``client_secret`` lets a browser confirm the payment: not warehouse data."""
    payment_object = (event.get("data") or {}).get("object")
    if isinstance(payment_object, dict):
        payment_object.pop("client_secret", None)
    return event
