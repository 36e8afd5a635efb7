"""The persisted world: one SQLite file per data dir, opened afresh for every operation.

A new connection per request keeps threads independent; WAL lets readers proceed while the
Click & Drop endpoint or the clock writes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sandbox.timeutil import parse_iso, to_iso

WORLD_FILE = "world.sqlite"

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE products (
    sku TEXT PRIMARY KEY, title TEXT NOT NULL, price TEXT NOT NULL, weight_grams INTEGER NOT NULL
);
CREATE TABLE customers (
    id INTEGER PRIMARY KEY, first_name TEXT NOT NULL, last_name TEXT NOT NULL, email TEXT NOT NULL,
    phone TEXT, address1 TEXT NOT NULL, address2 TEXT, city TEXT NOT NULL, zip TEXT NOT NULL,
    country TEXT NOT NULL, country_code TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE orders (
    id INTEGER PRIMARY KEY, number INTEGER NOT NULL UNIQUE, name TEXT NOT NULL UNIQUE,
    customer_id INTEGER REFERENCES customers(id), email TEXT, phone TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, processed_at TEXT NOT NULL,
    cancelled_at TEXT, cancel_reason TEXT, closed_at TEXT,
    financial_status TEXT NOT NULL, fulfillment_status TEXT NOT NULL, currency TEXT NOT NULL,
    subtotal TEXT NOT NULL, shipping TEXT NOT NULL, total TEXT NOT NULL, total_weight_grams INTEGER NOT NULL,
    ship_first_name TEXT, ship_last_name TEXT, ship_address1 TEXT, ship_address2 TEXT, ship_city TEXT,
    ship_province TEXT, ship_zip TEXT, ship_country TEXT, ship_country_code TEXT, ship_phone TEXT,
    address_valid INTEGER NOT NULL
);
CREATE INDEX orders_updated_at ON orders(updated_at);
CREATE TABLE line_items (
    id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES orders(id), sku TEXT NOT NULL,
    title TEXT NOT NULL, quantity INTEGER NOT NULL, unit_price TEXT NOT NULL, weight_grams INTEGER NOT NULL
);
CREATE INDEX line_items_order ON line_items(order_id);
CREATE TABLE transactions (
    id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES orders(id), kind TEXT NOT NULL,
    status TEXT NOT NULL, gateway TEXT NOT NULL, amount TEXT NOT NULL,
    created_at TEXT NOT NULL, processed_at TEXT NOT NULL
);
CREATE INDEX transactions_order ON transactions(order_id);
CREATE TABLE scheduled_transactions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, order_id INTEGER NOT NULL REFERENCES orders(id),
    kind TEXT NOT NULL, status TEXT NOT NULL, at TEXT NOT NULL
);
CREATE TABLE fulfillments (
    id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES orders(id), status TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, tracking_number TEXT,
    tracking_company TEXT, tracking_url TEXT
);
CREATE INDEX fulfillments_order ON fulfillments(order_id);
CREATE TABLE bookings (
    order_identifier INTEGER PRIMARY KEY, order_reference TEXT, created_on TEXT NOT NULL,
    order_date TEXT, tracking_number TEXT NOT NULL, shipped_on TEXT,
    source TEXT NOT NULL CHECK (source IN ('api', 'manual')), request_json TEXT NOT NULL
);
CREATE INDEX bookings_reference ON bookings(order_reference);
CREATE INDEX bookings_created_on ON bookings(created_on);
CREATE TABLE rejected_bookings (
    id INTEGER PRIMARY KEY AUTOINCREMENT, order_reference TEXT, reason TEXT NOT NULL, at TEXT NOT NULL,
    request_json TEXT NOT NULL
);
CREATE TABLE idempotent_replays (
    id INTEGER PRIMARY KEY AUTOINCREMENT, order_reference TEXT NOT NULL, order_identifier INTEGER NOT NULL,
    at TEXT NOT NULL
);
"""

# The WooCommerce channel, its Stripe account and the request log. Kept apart (and idempotent) so a
# world generated before they existed can be upgraded in place with an empty channel.
CHANNEL_SCHEMA = """
CREATE TABLE IF NOT EXISTS woo_customers (
    id INTEGER PRIMARY KEY, first_name TEXT NOT NULL, last_name TEXT NOT NULL, email TEXT NOT NULL,
    phone TEXT, address_1 TEXT NOT NULL, address_2 TEXT, city TEXT NOT NULL, postcode TEXT NOT NULL,
    created_gmt TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS woo_orders (
    id INTEGER PRIMARY KEY, order_key TEXT NOT NULL, customer_id INTEGER NOT NULL, status TEXT NOT NULL,
    created_gmt TEXT NOT NULL, modified_gmt TEXT NOT NULL, paid_gmt TEXT, completed_gmt TEXT,
    discount_total TEXT NOT NULL, shipping_total TEXT NOT NULL, total TEXT NOT NULL,
    billing_json TEXT NOT NULL, shipping_json TEXT NOT NULL, customer_note TEXT NOT NULL,
    customer_ip TEXT NOT NULL, user_agent TEXT NOT NULL, address_valid INTEGER NOT NULL,
    intent_id TEXT, intent_created INTEGER, intent_status TEXT, charge_id TEXT, charge_created INTEGER,
    stripe_customer TEXT, amount_refunded INTEGER NOT NULL DEFAULT 0, payment_error TEXT,
    cancelled_at INTEGER, risk_score INTEGER
);
CREATE INDEX IF NOT EXISTS woo_orders_modified ON woo_orders(modified_gmt);
CREATE INDEX IF NOT EXISTS woo_orders_created ON woo_orders(created_gmt);
CREATE TABLE IF NOT EXISTS woo_items (
    id INTEGER PRIMARY KEY, owner_id INTEGER NOT NULL, item_type TEXT NOT NULL, data_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS woo_items_owner ON woo_items(owner_id);
CREATE TABLE IF NOT EXISTS woo_refunds (
    id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES woo_orders(id), created_gmt TEXT NOT NULL,
    amount TEXT NOT NULL, reason TEXT NOT NULL, refunded_by INTEGER NOT NULL, stripe_refund_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS woo_refunds_order ON woo_refunds(order_id);
CREATE TABLE IF NOT EXISTS woo_notes (
    id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES woo_orders(id), created_gmt TEXT NOT NULL,
    author TEXT NOT NULL, note TEXT NOT NULL, customer_note INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS woo_notes_order ON woo_notes(order_id);
CREATE TABLE IF NOT EXISTS woo_scheduled (
    id INTEGER PRIMARY KEY AUTOINCREMENT, order_id INTEGER NOT NULL REFERENCES woo_orders(id),
    kind TEXT NOT NULL, at TEXT NOT NULL, payload_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS stripe_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
    created INTEGER NOT NULL, order_id INTEGER, body_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS stripe_events_created ON stripe_events(created, seq);
CREATE TABLE IF NOT EXISTS request_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT, system TEXT NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL,
    query TEXT NOT NULL, status INTEGER NOT NULL, at TEXT NOT NULL, world_now TEXT
);
CREATE INDEX IF NOT EXISTS request_log_system ON request_log(system, id);
"""

# Parcels, warehouses, carrier trackers and the helpdesk: derived from the orders and bookings above,
# never written back to them. Idempotent for the same reason as the channel tables.
LOGISTICS_SCHEMA = """
CREATE TABLE IF NOT EXISTS logistics_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS logistics_seen (kind TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (kind, key));
CREATE TABLE IF NOT EXISTS logistics_scheduled (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL,
    payload_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS logistics_scheduled_at ON logistics_scheduled(at);
CREATE TABLE IF NOT EXISTS parcels (
    tracking_number TEXT PRIMARY KEY, booking_identifier INTEGER, order_key TEXT, order_reference TEXT,
    warehouse TEXT NOT NULL, service TEXT NOT NULL, labelled_at TEXT NOT NULL, despatch_at TEXT NOT NULL,
    city TEXT, postcode TEXT
);
CREATE INDEX IF NOT EXISTS parcels_order ON parcels(order_key);
CREATE TABLE IF NOT EXISTS stock_moves (
    id INTEGER PRIMARY KEY AUTOINCREMENT, warehouse TEXT NOT NULL, sku TEXT NOT NULL, at TEXT NOT NULL,
    delta INTEGER NOT NULL, kind TEXT NOT NULL, reference TEXT
);
CREATE INDEX IF NOT EXISTS stock_moves_lookup ON stock_moves(warehouse, sku, at);
CREATE TABLE IF NOT EXISTS warehouse_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, warehouse TEXT NOT NULL, order_reference TEXT NOT NULL,
    event TEXT NOT NULL, occurred_at TEXT NOT NULL, carrier TEXT, service TEXT, tracking_number TEXT,
    file_id INTEGER
);
CREATE TABLE IF NOT EXISTS returns (
    id INTEGER PRIMARY KEY AUTOINCREMENT, warehouse TEXT NOT NULL, order_reference TEXT NOT NULL,
    tracking_number TEXT, sku TEXT NOT NULL, quantity INTEGER NOT NULL, condition TEXT NOT NULL,
    outcome TEXT NOT NULL, received_at TEXT NOT NULL, file_id INTEGER
);
CREATE TABLE IF NOT EXISTS feed_files (
    id INTEGER PRIMARY KEY AUTOINCREMENT, warehouse TEXT NOT NULL, feed TEXT NOT NULL, path TEXT NOT NULL,
    written_at TEXT NOT NULL, counted_at TEXT, rows INTEGER NOT NULL, malformed INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS trackers (
    id TEXT PRIMARY KEY, tracking_code TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL,
    service TEXT NOT NULL, est_delivery_date TEXT NOT NULL, plan_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tracker_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, tracker_id TEXT NOT NULL,
    step INTEGER NOT NULL, at TEXT NOT NULL, status TEXT NOT NULL, status_detail TEXT NOT NULL,
    message TEXT NOT NULL, location_json TEXT NOT NULL, delivered INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0, last_response INTEGER
);
CREATE INDEX IF NOT EXISTS tracker_events_tracker ON tracker_events(tracker_id, step);
CREATE INDEX IF NOT EXISTS tracker_events_pending ON tracker_events(delivered, at);
CREATE TABLE IF NOT EXISTS zendesk_tickets (
    id INTEGER PRIMARY KEY, order_key TEXT NOT NULL, order_reference TEXT NOT NULL, reason TEXT NOT NULL,
    created_at TEXT NOT NULL, subject TEXT NOT NULL, description TEXT NOT NULL, priority TEXT NOT NULL,
    type TEXT NOT NULL, tags_json TEXT NOT NULL, via_json TEXT NOT NULL, recipient TEXT,
    requester_id INTEGER NOT NULL, external_id TEXT, steps_json TEXT NOT NULL
);
"""

# Shopify refunds (cancellations after capture, returns received) and the order fields they change.
# Kept out of `orders`/`transactions` so the content of those tables for a seed stays what it was: an
# order's refund-era financial status and updatedAt are served from `shopify_order_overrides`.
AFTERSALES_SCHEMA = """
CREATE TABLE IF NOT EXISTS shopify_refunds (
    id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES orders(id), source TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL, note TEXT, amount TEXT NOT NULL, transaction_id INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS shopify_refunds_order ON shopify_refunds(order_id);
CREATE TABLE IF NOT EXISTS shopify_refund_line_items (
    id INTEGER PRIMARY KEY, refund_id INTEGER NOT NULL REFERENCES shopify_refunds(id),
    line_item_id INTEGER NOT NULL, quantity INTEGER NOT NULL, restock_type TEXT NOT NULL,
    subtotal TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS shopify_refund_line_items_refund ON shopify_refund_line_items(refund_id);
CREATE TABLE IF NOT EXISTS shopify_refund_transactions (
    id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES orders(id), kind TEXT NOT NULL,
    status TEXT NOT NULL, gateway TEXT NOT NULL, amount TEXT NOT NULL,
    created_at TEXT NOT NULL, processed_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS shopify_refund_transactions_order ON shopify_refund_transactions(order_id);
CREATE TABLE IF NOT EXISTS shopify_order_overrides (
    order_id INTEGER PRIMARY KEY REFERENCES orders(id), financial_status TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
"""

# Records a running server broke on purpose (`FaultConfig.malformed_every`), one row per record.
FAULT_LOG_SCHEMA = """
CREATE TABLE IF NOT EXISTS malformed_served (
    system TEXT NOT NULL, record_id TEXT NOT NULL, shape TEXT NOT NULL, first_served_at TEXT NOT NULL,
    PRIMARY KEY (system, record_id)
);
"""

# What the merchant's automation does through the APIs: stock it publishes to the sales channels,
# refunds it makes through Stripe (with the idempotency keys it sent), the transactional email it
# sends through Postmark and the pick tasks it releases to the 3PL. Only API requests write here,
# never the clock, so a world's generated content stays what it was (the warehouses read
# `pick_tasks` to pick a released order where its task says); idempotent like the tables above.
OPERATIONS_SCHEMA = """
CREATE TABLE IF NOT EXISTS shopify_inventory_levels (
    sku TEXT NOT NULL, location TEXT NOT NULL, available INTEGER NOT NULL, updated_at TEXT NOT NULL,
    PRIMARY KEY (sku, location)
);
CREATE TABLE IF NOT EXISTS shopify_inventory_groups (
    id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, name TEXT NOT NULL, reason TEXT NOT NULL,
    reference_document_uri TEXT
);
CREATE TABLE IF NOT EXISTS shopify_inventory_pushes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, group_id INTEGER, sku TEXT NOT NULL, location TEXT NOT NULL,
    quantity INTEGER NOT NULL, compare_quantity INTEGER, previous INTEGER NOT NULL, outcome TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS woo_product_stock (
    product_id INTEGER PRIMARY KEY, manage_stock INTEGER NOT NULL, stock_quantity INTEGER,
    stock_status TEXT NOT NULL, modified_gmt TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS woo_stock_updates (
    id INTEGER PRIMARY KEY AUTOINCREMENT, product_id INTEGER NOT NULL, sku TEXT NOT NULL,
    manage_stock INTEGER NOT NULL, stock_quantity INTEGER, at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS stripe_api_refunds (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, order_id INTEGER NOT NULL,
    amount INTEGER NOT NULL, created INTEGER NOT NULL, body_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS stripe_idempotency_keys (
    key TEXT PRIMARY KEY, method TEXT NOT NULL, path TEXT NOT NULL, params_json TEXT NOT NULL,
    status INTEGER NOT NULL, body_json TEXT NOT NULL, request_id TEXT NOT NULL, created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS stripe_idempotency_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, outcome TEXT NOT NULL, at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS pick_batches (
    reference TEXT PRIMARY KEY, warehouse TEXT NOT NULL, idempotency_key TEXT NOT NULL UNIQUE,
    request_hash TEXT NOT NULL, received_at TEXT NOT NULL, response_json TEXT NOT NULL,
    pick_list_pdf BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS pick_batch_orders (
    batch_reference TEXT NOT NULL, order_reference TEXT NOT NULL, order_key TEXT NOT NULL,
    outcome TEXT NOT NULL, lines_json TEXT NOT NULL, packing_slip_pdf BLOB NOT NULL,
    PRIMARY KEY (batch_reference, order_reference)
);
CREATE TABLE IF NOT EXISTS pick_tasks (
    order_key TEXT PRIMARY KEY, order_reference TEXT NOT NULL, warehouse TEXT NOT NULL,
    batch_reference TEXT NOT NULL, released_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pick_batch_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT, idempotency_key TEXT NOT NULL, outcome TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS postmark_messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, message_id TEXT NOT NULL UNIQUE, submitted_at TEXT NOT NULL,
    message_stream TEXT NOT NULL, tag TEXT, body_json TEXT NOT NULL
);
"""

# Id ranges look like real platform ids and never overlap, so a mixed-up id is obvious.
ID_BASES = {
    "orders": 5_810_000_000_000,
    "customers": 7_420_000_000_000,
    "line_items": 14_600_000_000_000,
    "transactions": 6_930_000_000_000,
    "fulfillments": 5_290_000_000_000,
    "shopify_refunds": 9_870_000_000_000,
    "shopify_refund_line_items": 4_410_000_000_000,
    "shopify_refund_transactions": 6_935_000_000_000,
}
FIRST_ORDER_NUMBER = 1001
FIRST_BOOKING_IDENTIFIER = 500_001


class WorldMissingError(FileNotFoundError):
    """Raised when a data dir has no generated world yet."""


def world_path(data_dir: Path) -> Path:
    """Where the world file of `data_dir` lives."""
    return Path(data_dir) / WORLD_FILE


def world_exists(data_dir: Path) -> bool:
    """Whether `generate` has been run for `data_dir`."""
    return world_path(data_dir).is_file()


def _open(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def connect(data_dir: Path) -> sqlite3.Connection:
    """A fresh autocommit connection to an existing world (callers close it)."""
    path = world_path(data_dir)
    if not path.is_file():
        raise WorldMissingError(f"no sandbox world at {path}; run `python -m sandbox generate` first")
    return _open(path)


def create_world_file(data_dir: Path) -> sqlite3.Connection:
    """Delete any existing world in `data_dir` and return a connection to a new, empty one."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    path = world_path(data_dir)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    conn = _open(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.executescript(SCHEMA)
    conn.executescript(CHANNEL_SCHEMA)
    conn.executescript(LOGISTICS_SCHEMA)
    conn.executescript(AFTERSALES_SCHEMA)
    conn.executescript(FAULT_LOG_SCHEMA)
    conn.executescript(OPERATIONS_SCHEMA)
    return conn


def upgrade_world(data_dir: Path) -> bool:
    """Add the channel, logistics, after-sales, fault-log and operations tables to a world generated
    before they existed; False if there is no world."""
    if not world_exists(data_dir):
        return False
    conn = connect(data_dir)
    try:
        upgrade_schema(conn)
    finally:
        conn.close()
    return True


def upgrade_schema(conn: sqlite3.Connection) -> None:
    """Create every table added after the first release that `conn`'s world still lacks (idempotent)."""
    for script in (CHANNEL_SCHEMA, LOGISTICS_SCHEMA, AFTERSALES_SCHEMA, FAULT_LOG_SCHEMA, OPERATIONS_SCHEMA):
        conn.executescript(script)
    # Columns added to existing tables later: Radar's risk score of each Woo order's charge.
    columns = {row[1] for row in conn.execute("PRAGMA table_info(woo_orders)")}
    if "risk_score" not in columns:
        conn.execute("ALTER TABLE woo_orders ADD COLUMN risk_score INTEGER")


@contextmanager
def transaction(conn: sqlite3.Connection, write: bool = True) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE for writers (serialises booking allocation), plain BEGIN for a read snapshot."""
    conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextmanager
def opened(data_dir: Path, write: bool = False) -> Iterator[sqlite3.Connection]:
    """Open, run one transaction, close: the unit of work for every request."""
    conn = connect(data_dir)
    try:
        with transaction(conn, write=write):
            yield conn
    finally:
        conn.close()


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    """Read one meta value."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else row["value"]


def set_meta(conn: sqlite3.Connection, key: str, value: object) -> None:
    """Write one meta value (stored as text)."""
    conn.execute(
        "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, str(value)),
    )


def world_now(conn: sqlite3.Connection) -> datetime:
    """The world clock."""
    value = get_meta(conn, "now")
    if value is None:
        raise WorldMissingError("world has no clock")
    return parse_iso(value)


def world_seed(conn: sqlite3.Connection) -> int:
    """The seed the world was generated from."""
    return int(get_meta(conn, "seed") or 0)


def set_world_now(conn: sqlite3.Connection, moment: datetime) -> None:
    """Move the world clock."""
    set_meta(conn, "now", to_iso(moment))


def next_id(conn: sqlite3.Connection, table: str) -> int:
    """Next platform-style id for `table` (ids increase with creation, like Shopify's)."""
    row = conn.execute(f"SELECT MAX(id) AS m FROM {table}").fetchone()
    return (row["m"] or ID_BASES[table]) + 1
