"""`python -m sandbox` / `orderloop sandbox`: generate, serve (optionally with a live clock), inspect
and advance the world, deliver its tracker webhooks and write its warehouse files."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from sandbox.clock import advance
from sandbox.faults import DEFAULT_FAULT_SYSTEMS, FAULT_SYSTEMS, FaultConfig
from sandbox.generator import generate_world
from sandbox.live import DEFAULT_TICK_SECONDS, LiveConfig
from sandbox.query_cost import ThrottleConfig
from sandbox.server import (
    DEFAULT_CLICK_AND_DROP_KEY,
    DEFAULT_POSTMARK_SERVER_TOKEN,
    DEFAULT_SHOPIFY_TOKEN,
    DEFAULT_STRIPE_KEY,
    DEFAULT_THREE_PL_KEY,
    DEFAULT_WOO_CONSUMER_KEY,
    DEFAULT_WOO_CONSUMER_SECRET,
    DEFAULT_ZENDESK_EMAIL,
    DEFAULT_ZENDESK_TOKEN,
    SandboxServer,
)
from sandbox.stats import world_stats
from sandbox.timeutil import parse_iso
from sandbox.tracking_webhooks import deliver_pending
from sandbox.warehouse_files import write_feeds
from sandbox.world import WorldMissingError, world_exists


def build_parser() -> argparse.ArgumentParser:
    """Argument parser for all subcommands."""
    parser = argparse.ArgumentParser(
        prog="sandbox",
        description="Simulated Shopify + WooCommerce/Stripe + Click & Drop world, with Zendesk, EasyPost"
        " tracker webhooks, 3PL warehouse files and Postmark email.",
    )
    parser.add_argument("--data-dir", type=Path, default=Path("data/sandbox"), help="world directory")
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="replace the world with a freshly generated one")
    gen.add_argument("--days", type=int, default=30)
    gen.add_argument("--seed", type=int, default=7)
    gen.add_argument("--now", help="world clock as ISO-8601 (default: current UTC hour)")
    gen.add_argument("--orders-per-day", type=int, default=27)
    gen.add_argument(
        "--large-order-every",
        type=int,
        default=None,
        help="every k-th Shopify order gets 13 line items and 3 fulfillment orders (default off)",
    )

    serve = sub.add_parser("serve", help="serve every API until Ctrl-C / SIGTERM")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--shopify-token", default=DEFAULT_SHOPIFY_TOKEN)
    serve.add_argument("--click-and-drop-key", default=DEFAULT_CLICK_AND_DROP_KEY)
    serve.add_argument("--bucket-size", type=float, default=ThrottleConfig.maximum_available)
    serve.add_argument("--restore-rate", type=float, default=ThrottleConfig.restore_rate)
    serve.add_argument(
        "--cnd-rate-limit",
        type=float,
        default=None,
        help="Click & Drop calls/second before HTTP 429 (real API: 5; default off)",
    )
    serve.add_argument("--woo-consumer-key", default=DEFAULT_WOO_CONSUMER_KEY)
    serve.add_argument("--woo-consumer-secret", default=DEFAULT_WOO_CONSUMER_SECRET)
    serve.add_argument("--stripe-key", default=DEFAULT_STRIPE_KEY)
    serve.add_argument("--zendesk-email", default=DEFAULT_ZENDESK_EMAIL)
    serve.add_argument("--zendesk-token", default=DEFAULT_ZENDESK_TOKEN)
    serve.add_argument("--postmark-server-token", default=DEFAULT_POSTMARK_SERVER_TOKEN)
    serve.add_argument("--three-pl-key", default=DEFAULT_THREE_PL_KEY)
    serve.add_argument(
        "--fault-rate-limit",
        type=int,
        default=None,
        help="requests per second to a faulted system before HTTP 429 + Retry-After (default off)",
    )
    serve.add_argument(
        "--fault-fail-every",
        type=int,
        default=None,
        help="every k-th request to a faulted system fails (default off)",
    )
    serve.add_argument("--fault-status", type=int, default=503, help="status of the injected failures")
    serve.add_argument(
        "--fault-malformed-every",
        type=int,
        default=None,
        help="every k-th WooCommerce order / Stripe event / Zendesk ticket / Shopify order is served"
        " malformed (default off)",
    )
    serve.add_argument(
        "--fault-stall-every",
        type=int,
        default=None,
        help="every k-th request to a faulted system is held --fault-stall-seconds before its answer"
        " (default off)",
    )
    serve.add_argument(
        "--fault-stall-seconds",
        type=float,
        default=FaultConfig.stall_seconds,
        help="how long a stalled request is held",
    )
    serve.add_argument(
        "--fault-reset-every",
        type=int,
        default=None,
        help="every k-th request to a faulted system has its connection dropped without an answer"
        " (default off)",
    )
    serve.add_argument(
        "--fault-cut-every",
        type=int,
        default=None,
        help="every k-th request to a faulted system is answered with half its body, then its"
        " connection is dropped (default off)",
    )
    serve.add_argument(
        "--fault-garble-every",
        type=int,
        default=None,
        help="every k-th request to a faulted system is answered with half its body as a complete"
        " response: invalid JSON with a 200 (default off)",
    )
    serve.add_argument(
        "--fault-replay-every",
        type=int,
        default=None,
        help="every k-th GET to a faulted system is answered with the last answer to its path, as a"
        " stale cache would (default off)",
    )
    serve.add_argument(
        "--fault-systems",
        default=",".join(DEFAULT_FAULT_SYSTEMS),
        help=f"comma-separated systems the faults apply to (any of {', '.join(FAULT_SYSTEMS)};"
        f" default {','.join(DEFAULT_FAULT_SYSTEMS)})",
    )
    serve.add_argument(
        "--live-hours-per-minute",
        type=float,
        default=0.0,
        help="keep the world clock moving: world hours per wall-clock minute (default 0: off)",
    )
    serve.add_argument(
        "--tick-seconds",
        type=float,
        default=DEFAULT_TICK_SECONDS,
        help="live mode: wall-clock seconds between clock advances",
    )
    serve.add_argument("--webhook-url", help="live mode: deliver due tracker webhooks here after each tick")
    serve.add_argument("--webhook-secret", help="live mode: the secret those webhooks are signed with")
    serve.add_argument(
        "--feeds-landing", type=Path, help="live mode: write new warehouse files here after each tick"
    )

    stats = sub.add_parser("stats", help="print world counters")
    stats.add_argument("--json", action="store_true", help="machine-readable JSON")

    adv = sub.add_parser("advance", help="move the world clock forward")
    adv.add_argument("--hours", type=float, required=True)

    hooks = sub.add_parser("deliver-webhooks", help="POST due EasyPost tracker events to a receiver")
    hooks.add_argument("--url", required=True, help="the receiver's webhook URL")
    hooks.add_argument("--secret", required=True, help="the webhook secret the events are signed with")
    hooks.add_argument("--duplicate-every", type=int, default=None, help="send every k-th event twice")
    hooks.add_argument("--shuffle", action="store_true", help="deliver in a (deterministic) shuffled order")

    feeds = sub.add_parser("write-feeds", help="write the warehouses' new CSV files under a landing folder")
    feeds.add_argument("--landing", type=Path, required=True)
    feeds.add_argument("--malformed-every", type=int, default=None, help="break every k-th row written")
    return parser


def _print_human_stats(stats: dict[str, Any]) -> None:
    shop, cnd, woo, stripe = stats["shopify"], stats["click_and_drop"], stats["woocommerce"], stats["stripe"]
    print(f"clock: {stats['clock']['now']}")
    print(
        f"orders: {shop['orders_total']} total, {shop['orders_cancelled']} cancelled, "
        f"{shop['orders_address_invalid']} invalid address, "
        f"{shop['orders_paid_open_address_valid']} paid+unfulfilled+valid (to book); "
        f"{shop['line_items_total']} line items ({shop['orders_large']} large orders)"
    )
    print("  financial:   " + ", ".join(f"{k}={v}" for k, v in shop["orders_by_financial_status"].items()))
    print("  fulfillment: " + ", ".join(f"{k}={v}" for k, v in shop["orders_by_fulfillment_status"].items()))
    print(
        f"  refunds: {shop['refunds_total']} ({shop['orders_partially_refunded']} orders partially refunded);"
        f" fulfillment orders: {shop['fulfillment_orders_total']} ("
        + ", ".join(f"{k}={v}" for k, v in shop["fulfillment_orders_by_status"].items())
        + ")"
    )
    print(
        f"bookings: {cnd['bookings_accepted']} accepted ({cnd['bookings_accepted_api']} api, "
        f"{cnd['bookings_accepted_manual']} manual), {cnd['bookings_rejected']} rejected, "
        f"{cnd['idempotent_replays']} replays, {cnd['duplicate_bookings']} duplicates, "
        f"{cnd['unmatched_bookings']} unmatched"
    )
    print(
        f"woocommerce: {woo['orders_total']} orders ("
        + ", ".join(f"{k}={v}" for k, v in woo["orders_by_status"].items())
        + f"), {woo['refunds_total']} refunds, {woo['notes_total']} notes"
    )
    print(
        f"stripe: {stripe['events_total']} events ("
        + ", ".join(f"{k}={v}" for k, v in stripe["events_by_type"].items())
        + ")"
    )
    zendesk, easypost, feeds = stats["zendesk"], stats["easypost"], stats["warehouses"]
    reasons = ", ".join(f"{k}={v}" for k, v in zendesk["tickets_by_reason"].items())
    statuses = ", ".join(f"{k}={v}" for k, v in zendesk["tickets_by_status"].items())
    print(f"zendesk: {zendesk['tickets_total']} tickets" + (f" ({reasons}; {statuses})" if reasons else ""))
    print(
        f"easypost: {easypost['trackers_total']} trackers, {easypost['events_total']} events "
        f"({easypost['events_delivered']} delivered, {easypost['events_pending']} pending)"
    )
    print(
        f"warehouse files: {feeds['files_written']} files, {feeds['rows_written']} rows "
        f"({feeds['malformed_rows_written']} malformed)"
    )
    served = stats["faults"]["malformed_served"]
    print("malformed records served: " + ", ".join(f"{k}={v}" for k, v in served.items()))
    stock, refunds, mail = stats["channel_stock"], stats["stripe_refunds"], stats["postmark"]
    print(
        f"channel stock: Shopify {stock['shopify']['pushes']} pushes ({stock['shopify']['stale_rejections']}"
        f" stale), {len(stock['shopify']['available'])} SKUs published; WooCommerce"
        f" {stock['woocommerce']['pushes']} pushes, {len(stock['woocommerce']['stock_quantity'])} products"
    )
    print(
        f"stripe refunds (API): {refunds['refunds_created']} (£{refunds['amount_refunded'] / 100:.2f}),"
        f" {refunds['idempotent_replays']} replays, {refunds['idempotency_mismatches']} key mismatches"
    )
    tags = ", ".join(f"{k or '(untagged)'}={v}" for k, v in mail["emails_by_tag"].items())
    print(f"postmark: {mail['emails_sent']} emails" + (f" ({tags})" if tags else ""))
    picks = stats["pick_tasks"]
    print(
        f"3pl pick tasks: {picks['batches_received']} batches, {picks['orders_released']} orders released,"
        f" {picks['duplicate_orders_ignored']} duplicates ignored, {picks['idempotent_replays']} replays"
    )


def live_config(args: argparse.Namespace) -> LiveConfig | None:
    """The `serve` live-mode options as a LiveConfig; None when off (pushes need the live clock)."""
    if not args.live_hours_per_minute:
        if args.webhook_url or args.webhook_secret or args.feeds_landing:
            raise ValueError("--webhook-url/--webhook-secret/--feeds-landing need --live-hours-per-minute")
        return None
    return LiveConfig(
        hours_per_minute=args.live_hours_per_minute,
        tick_seconds=args.tick_seconds,
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
        feeds_landing=args.feeds_landing,
    )


def fault_config(args: argparse.Namespace) -> FaultConfig | None:
    """The `serve` fault options as a FaultConfig; None when no fault is asked for."""
    wanted = (
        args.fault_rate_limit,
        args.fault_fail_every,
        args.fault_malformed_every,
        args.fault_stall_every,
        args.fault_reset_every,
        args.fault_cut_every,
        args.fault_garble_every,
        args.fault_replay_every,
    )
    if all(v is None for v in wanted):
        return None
    return FaultConfig(
        rate_limit_per_second=args.fault_rate_limit,
        fail_every=args.fault_fail_every,
        fail_status=args.fault_status,
        systems=tuple(s.strip() for s in args.fault_systems.split(",") if s.strip()),
        malformed_every=args.fault_malformed_every,
        stall_every=args.fault_stall_every,
        stall_seconds=args.fault_stall_seconds,
        reset_every=args.fault_reset_every,
        cut_every=args.fault_cut_every,
        garble_every=args.fault_garble_every,
        replay_every=args.fault_replay_every,
    )


def _serve(args: argparse.Namespace) -> int:
    if not world_exists(args.data_dir):
        print(f"no world in {args.data_dir}; run `generate` first", file=sys.stderr)
        return 1
    live = live_config(args)
    throttle = ThrottleConfig(maximum_available=args.bucket_size, restore_rate=args.restore_rate)
    faults = fault_config(args)
    server = SandboxServer(
        args.data_dir,
        host=args.host,
        port=args.port,
        shopify_token=args.shopify_token,
        click_and_drop_key=args.click_and_drop_key,
        throttle=throttle,
        click_and_drop_rate_limit=args.cnd_rate_limit,
        woo_consumer_key=args.woo_consumer_key,
        woo_consumer_secret=args.woo_consumer_secret,
        stripe_key=args.stripe_key,
        faults=faults,
        zendesk_email=args.zendesk_email,
        zendesk_token=args.zendesk_token,
        postmark_server_token=args.postmark_server_token,
        three_pl_key=args.three_pl_key,
        live=live,
    )
    stop = threading.Event()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
    try:
        server.start()
        print(f"sandbox serving {args.data_dir} at {server.url}", flush=True)
        print(f"  Shopify:       POST {server.url}/admin/api/2025-01/graphql.json", flush=True)
        print(f"  Click & Drop:  {server.url}/api/v1", flush=True)
        print(f"  WooCommerce:   {server.url}/wp-json/wc/v3", flush=True)
        print(f"  Stripe:        {server.url}/v1", flush=True)
        print(f"  Zendesk:       {server.url}/api/v2/incremental/tickets/cursor.json", flush=True)
        print(f"  Postmark:      {server.url}/postmark", flush=True)
        print(f"  3PL:           {server.url}/3pl/v1/warehouses/{{warehouse}}/pick-batches", flush=True)
        if live is not None:
            print(
                f"  Live clock:    +{live.hours_per_minute:g} world hours per minute, a tick every"
                f" {live.tick_seconds:g} s"
                + (f"; webhooks -> {live.webhook_url}" if live.webhook_url else "")
                + (f"; warehouse files -> {live.feeds_landing}" if live.feeds_landing else ""),
                flush=True,
            )
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand and return its exit code (never calls sys.exit)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help and usage errors
        return int(exc.code or 0)
    try:
        if args.command == "generate":
            now = parse_iso(args.now) if args.now else None
            generate_world(
                args.data_dir,
                days=args.days,
                seed=args.seed,
                now=now,
                orders_per_day=args.orders_per_day,
                large_order_every=args.large_order_every,
            )
            stats = world_stats(args.data_dir)
            print(
                f"generated {stats['shopify']['orders_total']} orders and "
                f"{stats['woocommerce']['orders_total']} WooCommerce orders in {args.data_dir} "
                f"(clock {stats['clock']['now']})"
            )
            return 0
        if args.command == "serve":
            return _serve(args)
        if args.command == "stats":
            stats = world_stats(args.data_dir)
            if args.json:
                print(json.dumps(stats, indent=2, sort_keys=True))
            else:
                _print_human_stats(stats)
            return 0
        if args.command == "advance":
            print(json.dumps(advance(args.data_dir, args.hours), sort_keys=True))
            return 0
        if args.command == "deliver-webhooks":
            result = deliver_pending(
                args.data_dir,
                args.url,
                args.secret,
                duplicate_every=args.duplicate_every,
                shuffle=args.shuffle,
            )
            print(json.dumps(result, sort_keys=True))
            return 0
        if args.command == "write-feeds":
            print(json.dumps(write_feeds(args.data_dir, args.landing, args.malformed_every), sort_keys=True))
            return 0
    except WorldMissingError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 2
