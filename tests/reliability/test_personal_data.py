"""Where customers' personal data may be, and `orderloop erase-customer`.

Over the session's built world (``built_warehouse``): the published copy and the analytics marts
hold no customer's email or phone number; the action queues, which need them, stay in the live
warehouse. Then, on a copy of that world, one customer is erased: afterwards no text column of
any table of the warehouse or its published copy, and no landing or dlt file, holds their email
or phone, their orders' non-personal facts are unchanged, the erasure log names them by hash
only, and a full reload of the source that still holds them does not bring them back.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from pipelines.publishing import ACTION_QUEUES
from tests.conftest import PLUS_PLAN, use_data_dir

RAW_CONTACTS_SQL = """
select lower(trim(email)) as email, coalesce(shipping_address__phone, phone) as phone from raw_shopify.orders
union all
select lower(trim(billing__email)), coalesce(nullif(shipping__phone, ''), billing__phone)
from raw_woocommerce.orders
"""


def contacts(warehouse: Path) -> tuple[list[str], list[str]]:
    """Every customer email and phone number the raw tables hold (the phones in each format)."""
    from orderloop.erasure import phone_numbers

    with duckdb.connect(str(warehouse), read_only=True) as conn:
        rows = conn.execute(RAW_CONTACTS_SQL).fetchall()
        emails = sorted({email for email, _ in rows if email})
        phones = sorted({p for _, p in rows if p and len(re.sub(r"\D", "", p)) >= 6})
        # The formats the warehouse may also hold a phone in (E.164 after validation).
        forms = set(phones)
        for email in emails[:50]:
            forms.update(phone_numbers(conn, email))
    return emails, sorted(forms)


def columns_holding(database: Path, needles: list[str], skip_tables: tuple[str, ...] = (),
                    schemas: tuple[str, ...] | None = None) -> list[str]:
    """``schema.table.column`` of every text column holding one of ``needles`` (case-insensitive)."""
    found = []
    with duckdb.connect(str(database), read_only=True) as conn:
        conn.execute("create temp table needles as select unnest(?::varchar[]) as needle", [needles])
        columns = conn.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR' and table_catalog = current_database() and table_schema <> 'privacy'"
        ).fetchall()
        for schema, table, column in columns:
            if table in skip_tables or (schemas is not None and schema not in schemas):
                continue
            hits = conn.execute(
                f'select count(*) from "{schema}"."{table}" as t join needles '
                f'on contains(lower(t."{column}"), lower(needles.needle))'
            ).fetchone()[0]
            if hits:
                found.append(f"{schema}.{table}.{column}")
    return found


@pytest.fixture(scope="module")
def world_contacts(built_warehouse: Path) -> tuple[list[str], list[str]]:
    return contacts(built_warehouse / "warehouse.duckdb")


def test_the_published_copy_and_the_analytics_marts_hold_no_email_or_phone(
    built_warehouse: Path, world_contacts: tuple[list[str], list[str]]
) -> None:
    emails, phones = world_contacts
    assert len(emails) > 20 and len(phones) > 20, "the world should have customers with contact details"

    assert columns_holding(built_warehouse / "published" / "warehouse.duckdb", emails + phones) == []
    marts = columns_holding(built_warehouse / "warehouse.duckdb", emails + phones, schemas=("marts",))
    assert marts and {column.split(".")[1] for column in marts} <= set(ACTION_QUEUES), marts

    # Orders name their customer by a hash of the email, the same across channels.
    with duckdb.connect(str(built_warehouse / "published" / "warehouse.duckdb"), read_only=True) as conn:
        conn.execute(f"attach '{built_warehouse / 'warehouse.duckdb'}' as live (read_only)")
        keyed, unlike = conn.execute("""
            select count(o.customer_key), count(*) filter (where o.customer_key <> md5(lower(trim(c.email))))
            from marts.fct_orders as o
            join (select id as order_id, email from live.raw_shopify.orders
                  union all select cast(id as varchar), billing__email from live.raw_woocommerce.orders) as c
                using (order_id)
        """).fetchone()
    assert keyed > 20 and unlike == 0


def test_no_run_log_or_dagster_event_names_a_customer(
    built_warehouse: Path, world_contacts: tuple[list[str], list[str]]
) -> None:
    """The run's logs and the Dagster instance (event logs, compute logs) are read by operators
    and kept for months: they must not quote a customer's email or phone."""
    emails, phones = world_contacts
    known = {email.encode() for email in emails} | {re.sub(r"\D", "", phone).encode() for phone in phones}
    folders = (built_warehouse / "logs", built_warehouse / "dagster")
    files = [f for folder in folders for f in folder.rglob("*") if f.is_file()]
    assert len(files) > 3
    named = {str(f): known & _emails_and_numbers(f.read_bytes()) for f in files}
    assert {f: found for f, found in named.items() if found} == {}


def _emails_and_numbers(data: bytes) -> set[bytes]:
    """Every email (lower-cased) and every run of digits (spaces, dashes, a leading + and
    parentheses dropped, UK national and international forms alike) in ``data``."""
    emails = {m.lower() for m in re.findall(rb"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", data)}
    numbers = {re.sub(rb"\D", b"", m) for m in re.findall(rb"\+?\(?\d[\d ()-]{7,}\d", data)}
    return emails | numbers


@pytest.fixture(scope="module")
def erased_world(built_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """A copy of the built world in force, after `orderloop erase-customer` of its Shopify customer
    with the most orders and a phone."""
    import os

    from orderloop.cli import main
    from orderloop.erasure import customer_identifiers

    previous = os.environ.get("ORDERLOOP_DATA_DIR")
    root = tmp_path_factory.mktemp("erasure") / "data"
    shutil.copytree(built_warehouse, root, ignore=shutil.ignore_patterns("dagster"))
    paths = use_data_dir(root)
    with duckdb.connect(str(paths.warehouse), read_only=True) as conn:
        email, phone = conn.execute(
            "select email, phone from raw_shopify.orders where phone is not null and email is not null "
            "group by all order by count(*) desc, email limit 1"
        ).fetchone()
        orders = conn.execute(
            "select o.order_id, o.order_name, o.status, o.placed_at, o.tracking_number "
            "from marts.fct_orders as o join raw_shopify.orders as r on o.order_id = r.id "
            "where r.email = ? order by 1",
            [email],
        ).fetchall()
    assert orders
    with duckdb.connect(str(paths.warehouse), read_only=True) as conn:
        identifiers = customer_identifiers(conn, email)
    assert columns_holding(paths.warehouse, identifiers), "the customer should be there before"
    try:
        assert main(["erase-customer", email.upper()]) == 0
        yield paths, email, phone, orders, identifiers
    finally:
        if previous:
            use_data_dir(Path(previous))


def test_erase_customer_leaves_no_email_or_phone_and_keeps_the_orders(erased_world) -> None:
    paths, email, phone, orders, identifiers = erased_world
    assert phone in identifiers and any(i.startswith("+44") for i in identifiers), identifiers
    assert [key for key, in _keys(paths, orders)] == [None] * len(orders), "customer_key erased too"

    assert columns_holding(paths.warehouse, identifiers) == []
    assert columns_holding(paths.published, identifiers) == []
    pattern = re.compile("|".join(re.escape(i) for i in identifiers).encode(), re.IGNORECASE)
    for folder in (paths.landing, paths.dlt_pipelines):
        assert not [f for f in folder.rglob("*") if f.is_file() and pattern.search(f.read_bytes())]
    with duckdb.connect(str(paths.warehouse), read_only=True) as conn:
        kept = conn.execute(
            "select order_id, order_name, status, placed_at, tracking_number from marts.fct_orders "
            "where order_id in (select unnest(?::varchar[])) order by 1",
            [[row[0] for row in orders]],
        ).fetchall()
        log = conn.execute("select * from privacy.erasures").fetchall()
    assert kept == orders
    assert len(log) == 1 and log[0][1] == hashlib.sha256(email.lower().encode()).hexdigest()
    assert email not in str(log)


def test_a_full_reload_from_the_source_does_not_bring_an_erased_customer_back(erased_world) -> None:
    """The sandbox's Shopify still holds the customer (erasure at the source is the merchant's
    part): reloading every order puts them back in raw, and the erasure is applied again."""
    from connectors.destination import warehouse_pipeline
    from connectors.shopify import shopify_source
    from orderloop.erasure import reapply_erasures
    from orderloop.sandbox_mode import sources_pointing_at
    from sandbox.server import SandboxServer

    paths, email, phone, _, _ = erased_world
    with SandboxServer(paths.sandbox, throttle=PLUS_PLAN) as server, sources_pointing_at(server.url):
        pipeline = warehouse_pipeline("shopify", paths.warehouse, paths.dlt_pipelines)
        pipeline.run(shopify_source(), refresh="drop_sources").raise_on_failed_jobs()
    assert columns_holding(paths.warehouse, [email], schemas=("raw_shopify",)), "the reload brings them back"

    assert reapply_erasures(paths.warehouse, "raw_shopify") > 0
    assert columns_holding(paths.warehouse, [email, phone], schemas=("raw_shopify",)) == []


def _keys(paths, orders: list[tuple]) -> list[tuple]:
    with duckdb.connect(str(paths.warehouse), read_only=True) as conn:
        return conn.execute(
            "select nullif(customer_key, '[erased]') from marts.fct_orders "
            "where order_id in (select unnest(?::varchar[]))",
            [[row[0] for row in orders]],
        ).fetchall()
