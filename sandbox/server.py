"""One local HTTP server for every outside system (Shopify, Click & Drop, WooCommerce, Stripe,
Zendesk, Postmark, the 3PL's pick tasks), runnable in a background thread. Every API request is
written to the request log; with a `LiveConfig` the world clock ticks on next to it (`sandbox.live`)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from sandbox.click_and_drop import click_and_drop_routes, error_response
from sandbox.faults import FaultConfig, FaultInjector, drop_connection, remember_transport
from sandbox.live import LiveConfig, LiveWorld
from sandbox.malformed import Malformer
from sandbox.pick_tasks_api import pick_task_routes
from sandbox.postmark_api import postmark_response, postmark_routes
from sandbox.query_cost import LeakyBucket, ThrottleConfig
from sandbox.request_log import RequestLogMiddleware
from sandbox.shopify_bulk import FILES_PATH as BULK_FILES_PATH
from sandbox.shopify_graphql import ShopifyGraphQL, graphql_endpoint
from sandbox.stripe_api import stripe_response, stripe_routes
from sandbox.timeutil import to_iso
from sandbox.woocommerce import woocommerce_routes, wp_error
from sandbox.world import WorldMissingError, opened, upgrade_world, world_now
from sandbox.zendesk_api import zendesk_response, zendesk_routes

DEFAULT_SHOPIFY_TOKEN = "shpat_sandbox_token"
DEFAULT_CLICK_AND_DROP_KEY = "cnd_sandbox_key"
DEFAULT_WOO_CONSUMER_KEY = "ck_sandbox"
DEFAULT_WOO_CONSUMER_SECRET = "cs_sandbox"
DEFAULT_STRIPE_KEY = "sk_test_sandbox"
DEFAULT_ZENDESK_EMAIL = "support@sandbox.example"
DEFAULT_ZENDESK_TOKEN = "zd_sandbox_token"
DEFAULT_POSTMARK_SERVER_TOKEN = "pm_sandbox_server_token"
DEFAULT_THREE_PL_KEY = "tpl_sandbox_key"
# What a host in front of WordPress answers when the site is briefly down.
_NGINX_ERROR = (
    "<html>\r\n<head><title>{status} {phrase}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {phrase}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


def _woo_faults(config: FaultConfig | None) -> FaultInjector:
    return FaultInjector(
        config,
        "woocommerce",
        too_many=lambda wait: wp_error(
            429, "rate_limit_exceeded", f"Too many requests. Please wait {wait} seconds before trying again."
        ),
        unavailable=lambda status: HTMLResponse(
            _NGINX_ERROR.format(status=status, phrase=HTTPStatus(status).phrase), status_code=status
        ),
    )


def _stripe_faults(config: FaultConfig | None) -> FaultInjector:
    return FaultInjector(
        config,
        "stripe",
        too_many=lambda wait: stripe_response(
            {
                "error": {
                    "code": "rate_limit",
                    "doc_url": "https://stripe.com/docs/error-codes/rate-limit",
                    "message": "Request rate limit exceeded. Learn more about rate limits here"
                    " https://stripe.com/docs/rate-limits.",
                    "type": "invalid_request_error",
                }
            },
            429,
        ),
        unavailable=lambda status: stripe_response(
            {"error": {"message": "An unknown error occurred", "type": "api_error"}}, status
        ),
    )


def _zendesk_faults(config: FaultConfig | None) -> FaultInjector:
    return FaultInjector(
        config,
        "zendesk",
        too_many=lambda wait: zendesk_response(
            {
                "error": "APIRateLimitExceeded",
                "description": "Number of allowed incremental export API requests per minute exceeded",
            },
            429,
        ),
        unavailable=lambda status: zendesk_response(
            {"error": "ServiceUnavailable", "description": "Zendesk is temporarily unavailable."}, status
        ),
    )


def _shopify_faults(config: FaultConfig | None) -> FaultInjector:
    limit = config.rate_limit_per_second if config is not None else None
    return FaultInjector(
        config,
        "shopify",
        # The REST Admin API's per-second wording; GraphQL cost throttling (HTTP 200 THROTTLED) is
        # the leaky bucket's and stays on regardless.
        too_many=lambda wait: JSONResponse(
            {
                "errors": f"Exceeded {limit} calls per second for api client. Reduce request rates to"
                " resume uninterrupted service."
            },
            status_code=429,
        ),
        # Shopify's error envelope: `errors` as a plain string.
        unavailable=lambda status: JSONResponse({"errors": HTTPStatus(status).phrase}, status_code=status),
    )


def _click_and_drop_faults(config: FaultConfig | None) -> FaultInjector:
    limit = config.rate_limit_per_second if config is not None else None
    return FaultInjector(
        config,
        "click_and_drop",
        too_many=lambda wait: error_response(
            429, "TooManyRequests", f"Rate limit of {limit} calls per second exceeded."
        ),
        unavailable=lambda status: error_response(
            status,
            HTTPStatus(status).phrase.replace(" ", ""),
            "The service is temporarily unavailable. Please try again later.",
        ),
    )


def _postmark_faults(config: FaultConfig | None) -> FaultInjector:
    return FaultInjector(
        config,
        "postmark",
        too_many=lambda wait: postmark_response(
            {"ErrorCode": 429, "Message": "Rate limit exceeded. Please retry after a short pause."}, 429
        ),
        # Postmark's documented "maintenance" refusal, as JSON with its error envelope.
        unavailable=lambda status: postmark_response(
            {"ErrorCode": 100, "Message": "Postmark is offline for maintenance."}, status
        ),
    )


def _three_pl_faults(config: FaultConfig | None) -> FaultInjector:
    def refusal(status: int, code: str, message: str) -> JSONResponse:
        return JSONResponse({"error": {"code": code, "message": message, "order_reference": None}}, status)

    return FaultInjector(
        config,
        "three_pl",
        too_many=lambda wait: refusal(429, "rate_limited", f"Too many requests; retry in {wait} s."),
        unavailable=lambda status: refusal(status, "unavailable", "The warehouse system is unavailable."),
    )


class SandboxApp(Starlette):
    """Starlette, plus the connection's transport in every HTTP scope, so a request `reset_every`
    picked has its connection dropped once the app (request log included) is done with it."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        remember_transport(scope, send)
        await super().__call__(scope, receive, send)
        await drop_connection(scope)


def release_stalls(app: Starlette, released: bool = True) -> None:
    """End the app's injected stalls at once (a stopping uvicorn waits for in-flight requests);
    `released=False` arms them again."""
    for injector in getattr(app.state, "fault_injectors", ()):
        injector.release(released)


def fault_counts(app: Starlette) -> dict[str, dict[str, Any]]:
    """Per system, the faults its injector applied (per kind, and in all) and how many of the
    requests it faulted arrived again (retries)."""
    counts = {}
    for injector in getattr(app.state, "fault_injectors", ()):
        injected = dict(sorted(injector.injected.items()))
        counts[injector.system] = {
            "injected": sum(injected.values()), "by_kind": injected, "retried": injector.retried
        }
    return counts


def create_app(
    data_dir: Path,
    shopify_token: str = DEFAULT_SHOPIFY_TOKEN,
    click_and_drop_key: str = DEFAULT_CLICK_AND_DROP_KEY,
    throttle: ThrottleConfig | None = None,
    click_and_drop_rate_limit: float | None = None,
    woo_consumer_key: str = DEFAULT_WOO_CONSUMER_KEY,
    woo_consumer_secret: str = DEFAULT_WOO_CONSUMER_SECRET,
    stripe_key: str = DEFAULT_STRIPE_KEY,
    faults: FaultConfig | None = None,
    zendesk_email: str = DEFAULT_ZENDESK_EMAIL,
    zendesk_token: str = DEFAULT_ZENDESK_TOKEN,
    postmark_server_token: str = DEFAULT_POSTMARK_SERVER_TOKEN,
    three_pl_key: str = DEFAULT_THREE_PL_KEY,
) -> Starlette:
    """Starlette app: Shopify under /admin/api/..., Click & Drop under /api/v1/..., WooCommerce under
    /wp-json/wc/v3/..., Stripe under /v1/..., Zendesk under /api/v2/..., Postmark under /postmark/...,
    the 3PL under /3pl/v1/..., plus /healthz; `faults` (off by default) sit in front of each system's
    endpoints, before authentication."""
    data_dir = Path(data_dir)
    upgrade_world(data_dir)

    def of(system: str) -> FaultConfig | None:
        return None if faults is None else faults.for_system(system)

    shopify = ShopifyGraphQL(
        data_dir,
        LeakyBucket(throttle or ThrottleConfig()),
        Malformer.configured(of("shopify"), "shopify", data_dir),
    )
    cnd = click_and_drop_routes(data_dir, click_and_drop_key, click_and_drop_rate_limit)
    injectors = {
        "shopify": _shopify_faults(of("shopify")),
        "click_and_drop": _click_and_drop_faults(of("click_and_drop")),
        "woocommerce": _woo_faults(of("woocommerce")),
        "stripe": _stripe_faults(of("stripe")),
        "zendesk": _zendesk_faults(of("zendesk")),
        "postmark": _postmark_faults(of("postmark")),
        "three_pl": _three_pl_faults(of("three_pl")),
    }
    cnd_wrap = injectors["click_and_drop"].wrap

    async def healthz(request: Request) -> Response:
        try:
            with opened(data_dir) as conn:
                now = to_iso(world_now(conn))
        except WorldMissingError:
            return JSONResponse({"status": "no-world"}, status_code=503)
        return JSONResponse({"status": "ok", "now": now})

    app = SandboxApp(
        middleware=[Middleware(RequestLogMiddleware, data_dir=data_dir)],
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route(
                "/admin/api/{version}/graphql.json",
                injectors["shopify"].wrap(graphql_endpoint(shopify, shopify_token)),
                methods=["POST"],
            ),
            # A bulk operation's file: on storage, not behind the shop's token or its faults.
            Route(f"{BULK_FILES_PATH}/{{name}}", shopify.bulk.download_endpoint(), methods=["GET"]),
            Route("/api/v1/version", cnd_wrap(cnd["version"]), methods=["GET"]),
            Route("/api/v1/orders", cnd_wrap(cnd["orders"]), methods=["GET", "POST"]),
            Route("/api/v1/orders/{identifiers:path}", cnd_wrap(cnd["specific"]), methods=["GET"]),
            *woocommerce_routes(
                data_dir,
                woo_consumer_key,
                woo_consumer_secret,
                injectors["woocommerce"].wrap,
                Malformer.configured(of("woocommerce"), "woocommerce", data_dir),
            ),
            *stripe_routes(
                data_dir,
                stripe_key,
                injectors["stripe"].wrap,
                Malformer.configured(of("stripe"), "stripe", data_dir),
            ),
            *zendesk_routes(
                data_dir,
                zendesk_email,
                zendesk_token,
                injectors["zendesk"].wrap,
                Malformer.configured(of("zendesk"), "zendesk", data_dir),
            ),
            *postmark_routes(data_dir, postmark_server_token, injectors["postmark"].wrap),
            *pick_task_routes(data_dir, three_pl_key, injectors["three_pl"].wrap),
        ],
    )
    app.state.fault_injectors = list(injectors.values())
    app.state.shopify_bulk = shopify.bulk
    return app


class SandboxServer:
    """uvicorn in a daemon thread on a socket bound here, so `port=0` yields a known ephemeral port;
    with `live`, a `LiveWorld` ticks from `start` to `stop`."""

    def __init__(
        self,
        data_dir: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        shopify_token: str = DEFAULT_SHOPIFY_TOKEN,
        click_and_drop_key: str = DEFAULT_CLICK_AND_DROP_KEY,
        throttle: ThrottleConfig | None = None,
        click_and_drop_rate_limit: float | None = None,
        woo_consumer_key: str = DEFAULT_WOO_CONSUMER_KEY,
        woo_consumer_secret: str = DEFAULT_WOO_CONSUMER_SECRET,
        stripe_key: str = DEFAULT_STRIPE_KEY,
        faults: FaultConfig | None = None,
        zendesk_email: str = DEFAULT_ZENDESK_EMAIL,
        zendesk_token: str = DEFAULT_ZENDESK_TOKEN,
        postmark_server_token: str = DEFAULT_POSTMARK_SERVER_TOKEN,
        three_pl_key: str = DEFAULT_THREE_PL_KEY,
        live: LiveConfig | None = None,
        live_log: Callable[[str], None] | None = None,
    ):
        self.data_dir = Path(data_dir)
        self.host = host
        self.requested_port = port
        self.app = create_app(
            self.data_dir,
            shopify_token,
            click_and_drop_key,
            throttle,
            click_and_drop_rate_limit,
            woo_consumer_key=woo_consumer_key,
            woo_consumer_secret=woo_consumer_secret,
            stripe_key=stripe_key,
            faults=faults,
            zendesk_email=zendesk_email,
            zendesk_token=zendesk_token,
            postmark_server_token=postmark_server_token,
            three_pl_key=three_pl_key,
        )
        self.live = None if live is None else LiveWorld(self.data_dir, live, live_log)
        self._socket: socket.socket | None = None
        self._port: int | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (only known once started)."""
        if self._port is None:
            raise RuntimeError("server not started")
        return self._port

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:54321."""
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> SandboxServer:
        """Bind, start serving in the background and wait until ready."""
        if self._thread is not None:
            return self
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.requested_port))
        sock.listen(128)
        self._socket = sock
        self._port = sock.getsockname()[1]
        release_stalls(self.app, released=False)
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="sandbox-server", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("sandbox server failed to start")
            time.sleep(0.01)
        if self.live is not None:
            self.live.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the live ticks, ask uvicorn to exit, join the thread and release the socket."""
        if self.live is not None:
            self.live.stop(timeout)
        release_stalls(self.app)
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        if self._socket is not None:
            self._socket.close()
        self._server, self._thread, self._socket = None, None, None

    def fault_counts(self) -> dict[str, dict[str, Any]]:
        """The faults injected since this server was made, and the retries they drew, per system."""
        return fault_counts(self.app)

    def wait(self) -> None:
        """Block until the server thread ends (used by `serve`)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.5)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
