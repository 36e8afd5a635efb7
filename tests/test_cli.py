"""The `orderloop` command's plumbing: sandbox pass-through, helpful errors."""

from __future__ import annotations

import json

from orderloop.cli import main


def test_sandbox_stats_json_reports_each_system(world, capsys):
    assert main(["sandbox", "stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert set(stats) >= {"shopify", "click_and_drop"}
    assert stats["shopify"]["orders_total"] > 0
    assert stats["click_and_drop"]["duplicate_bookings"] == 0


def test_sandbox_help_passes_through(capsys):
    try:
        main(["sandbox", "--help"])
    except SystemExit as exit_:
        assert exit_.code == 0
    assert "generate" in capsys.readouterr().out


def test_summary_without_a_published_warehouse_says_what_to_do(data_paths, capsys):
    assert main(["summary"]) == 1
    assert "orderloop run" in capsys.readouterr().err


def test_erase_customer_says_what_is_wrong_and_changes_nothing(data_paths, capsys):
    import duckdb

    assert main(["erase-customer", "jane@example.com"]) == 1
    assert "no warehouse" in capsys.readouterr().err

    with duckdb.connect(str(data_paths.warehouse)) as conn:
        conn.execute("create schema raw_shop")
        conn.execute("create table raw_shop.orders as select 'jane@example.com' as email")
    assert main(["erase-customer", "not an email"]) == 2
    assert "not an email address" in capsys.readouterr().err
    with duckdb.connect(str(data_paths.warehouse), read_only=True) as conn:
        assert conn.execute("select email from raw_shop.orders").fetchall() == [("jane@example.com",)]
        assert conn.execute("select count(*) from information_schema.schemata where schema_name = 'privacy'"
                            ).fetchone()[0] == 0
