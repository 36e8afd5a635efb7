"""`orderloop rules dry-run` on a real warehouse built by one `orderloop run` of a sandbox world:
its reported figures against independent SQL counts, effective dates respected, the warehouse
left untouched, and a clear refusal of an invalid candidate."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from orderloop.cli import main
from orderloop.rule_sets import RULES_DIR

DAYS = 5


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A world after one `orderloop run` (a pass takes a minute or two)."""
    from sandbox.generator import generate_world
    from tests.conftest import WORLD_DAYS, WORLD_NOW, WORLD_SEED, use_data_dir

    paths = use_data_dir(tmp_path_factory.mktemp("dry-run") / "data")
    generate_world(paths.sandbox, days=WORLD_DAYS, seed=WORLD_SEED, now=WORLD_NOW)
    assert main(["run"]) == 0
    return paths


def _sql(paths, query: str, params: list | None = None):
    with duckdb.connect(str(paths.warehouse), read_only=True) as conn:
        return conn.execute(query, params or []).fetchone()[0]


def _window_start(paths):
    """The report's window: DAYS before the newest order update or stock count."""
    as_of = _sql(paths, "select greatest((select max(updated_at) from intermediate.int_orders_unioned),"
                        " (select max(counted_at) from intermediate.int_stock_on_hand))")
    return as_of - timedelta(days=DAYS)


def _dry_run(capsys, candidate: Path, *extra: str) -> tuple[int, dict[str, int], str]:
    code = main(["rules", "dry-run", str(candidate), "--days", str(DAYS), *extra])
    captured = capsys.readouterr()
    figures = {m[1]: int(m[2]) for m in re.finditer(r"^([a-z][^:\n]*): (\d+)$", captured.out, re.MULTILINE)}
    return code, figures, captured.out + captured.err


def _owners_candidate(tmp_path: Path, effective_from: str) -> Path:
    """exception_owners with a v2 that gives despatch_at_risk to operations and stops
    address_invalid holding fulfilment."""
    current = (RULES_DIR / "exception_owners.yaml").read_text()
    v2 = current.split("versions:\n", 1)[1]
    v2 = (v2.replace("exception-owners-v1", "exception-owners-v2")
          .replace("2026-01-01T00:00:00Z", effective_from)
          .replace("despatch_at_risk: {owner: warehouse", "despatch_at_risk: {owner: operations")
          .replace("address_invalid: {owner: customer_service, holds_fulfilment: true}",
                   "address_invalid: {owner: customer_service, holds_fulfilment: false}"))
    path = tmp_path / "exception_owners.yaml"
    path.write_text(current.rstrip("\n") + "\n" + v2)
    return path


def _fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_new_owner_version_changes_only_exceptions_opened_after_its_date(built, tmp_path, capsys):
    since = _window_start(built)
    effective = since + timedelta(days=2)
    candidate = _owners_candidate(tmp_path, effective.strftime("%Y-%m-%dT%H:%M:%SZ"))
    before = _fingerprint(built.warehouse)

    code, figures, out = _dry_run(capsys, candidate)

    assert code == 0, out
    count = "select count(*) from marts.fct_exceptions where reason = ? and opened_at >= ?"
    at_risk_after = _sql(built, count, ["despatch_at_risk", effective])
    at_risk_in_window = _sql(built, count, ["despatch_at_risk", since])
    assert at_risk_after > 0 and at_risk_in_window > at_risk_after, "the effective date must split the window"
    assert figures["exception owners changed"] == at_risk_after
    assert figures["exception holds cleared (fulfilment no longer held)"] == _sql(
        built, count, ["address_invalid", effective]
    )
    assert figures["exception holds raised (fulfilment held)"] == 0
    assert "warehouse -> operations" in out
    # Nothing else is touched by an owners-only candidate, and nothing is written.
    for kind in ("orders routed differently", "label holds cleared (labels booked earlier)",
                 "published stock changed (SKU and channel)"):
        assert figures[kind] == 0, kind
    assert _fingerprint(built.warehouse) == before


def test_dropping_the_address_hold_books_held_orders_earlier(built, tmp_path, capsys):
    since = _window_start(built)
    candidate = tmp_path / "holds.yaml"
    candidate.write_text(
        "rule_set: holds\nversions:\n"
        "  - version: holds-none\n    effective_from: 2026-01-01T00:00:00Z\n"
        "    description: no holds\n    invalid_address: false\n    invalid_phone: false\n"
    )
    code, figures, out = _dry_run(capsys, candidate)

    assert code == 0, out
    queue = ("select count(*) from marts.label_booking_queue"
             " where placed_at >= ? and not is_address_valid and is_routed_with_stock = ?")
    cleared, reason_changed = _sql(built, queue, [since, True]), _sql(built, queue, [since, False])
    assert cleared > 0, "the world must have orders held for their address"
    assert figures["label holds cleared (labels booked earlier)"] == cleared
    assert figures["label holds for another reason"] == reason_changed
    assert figures["label holds raised (labels booked later)"] == 0
    assert "held (invalid_address) -> book TPN24" in out


def test_a_lower_fraud_score_maximum_raises_holds_on_the_riskier_orders(built, tmp_path, capsys):
    """The label replay reads each queued order's Radar score: a candidate holding scores above
    20 holds the WooCommerce orders scored higher, and books no Shopify order later."""
    since = _window_start(built)
    candidate = tmp_path / "holds.yaml"
    candidate.write_text(
        "rule_set: holds\nversions:\n"
        "  - version: holds-strict\n    effective_from: 2026-01-01T00:00:00Z\n"
        "    description: hold risky payments\n    invalid_address: true\n    invalid_phone: false\n"
        "    max_fraud_score: 20\n    hold_payment_review: true\n"
    )
    code, figures, out = _dry_run(capsys, candidate)

    assert code == 0, out
    queue = ("select count(*) from marts.label_booking_queue where placed_at >= ? and fraud_risk_score > 20"
             " and not has_open_payment_review and not is_payment_review_approved"
             " and (is_address_valid and is_routed_with_stock) = ?")
    # Booked today become held; held today for their address or stock are held for the score first.
    raised, reason_changed = _sql(built, queue, [since, True]), _sql(built, queue, [since, False])
    assert raised > 0, "the world must have queued orders scored above 20"
    assert figures["label holds raised (labels booked later)"] == raised
    assert figures["label holds cleared (labels booked earlier)"] == 0
    assert "-> held (fraud_score)" in out and "woocommerce:" in out
    assert figures["label holds for another reason"] == reason_changed


def test_a_candidate_effective_after_every_decision_changes_nothing(built, tmp_path, capsys):
    candidate = _owners_candidate(tmp_path, "2099-01-01T00:00:00Z")
    code, figures, out = _dry_run(capsys, candidate)
    assert code == 0, out
    assert sum(figures.values()) == 0
    assert "The candidate changes no decision in this window." in out


def test_a_new_channel_share_changes_what_would_be_published(built, tmp_path, capsys):
    candidate = tmp_path / "channel_allocation.yaml"
    candidate.write_text(
        "rule_set: channel_allocation\nversions:\n"
        "  - version: half-and-half\n    effective_from: 2026-01-01T00:00:00Z\n"
        "    description: even split\n    shares: {shopify: 50, woocommerce: 50}\n"
    )
    code, figures, out = _dry_run(capsys, candidate)

    assert code == 0, out
    expected = _sql(
        built,
        """
        with even as (
            select sku, sum(floor(available_to_sell * 50 / 100.0)) as quantity
            from marts.fct_stock_positions group by sku
        )
        select count(*) from marts.stock_to_publish as published
        inner join even using (sku)
        where published.quantity_to_publish <> even.quantity
        """,
    )
    assert expected > 0
    assert figures["published stock changed (SKU and channel)"] == expected


def test_an_invalid_candidate_is_refused_naming_the_file_and_field(built, tmp_path, capsys):
    candidate = tmp_path / "cutoffs.yaml"
    candidate.write_text((RULES_DIR / "cutoffs.yaml").read_text().replace('"14:00"', '"2pm"', 1))
    code, _, out = _dry_run(capsys, candidate)
    assert code == 2
    assert "invalid candidate" in out and str(candidate) in out and "despatch_cutoff" in out

    code, _, out = _dry_run(capsys, tmp_path / "missing.yaml")
    assert code == 2 and "no such rules file or folder" in out
