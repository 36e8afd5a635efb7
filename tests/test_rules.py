"""The versioned rules in rules/: validation with clear errors, and the version in force by date."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from orderloop.cli import main
from orderloop.rule_sets import (
    RULE_SETS,
    CutoffRules,
    DespatchRiskRules,
    ExceptionOwnerRules,
    HoldRules,
    RuleError,
    in_force,
    label_rules,
    load_rules,
    notification_rules,
    routing_rules,
)
from pipelines.actions.label_booking import hold_reason, in_priority_order, service_for

LABELS_V3 = """
  - version: labels-v3
    effective_from: 2030-06-01T00:00:00Z
    description: "Book Tracked 48 for everything"
    changes: ["- the channel's service; + always TPN48"]
    require_stock: false
    default_service: TPN48
    use_channel_service: false
"""

HOLDS_V4 = """
  - version: holds-v4
    effective_from: 2030-06-01T00:00:00Z
    description: "Also hold orders whose phone number is invalid"
    changes: ["+ hold invalid phone numbers"]
    invalid_address: true
    invalid_phone: true
    max_fraud_score: 64
    hold_payment_review: true
"""


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    """A copy of the repository's rules with labels-v3 and holds-v4 that take effect in 2030."""
    from orderloop.rule_sets import RULES_DIR

    for path in RULES_DIR.glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text())
    for name, addition in (("labels.yaml", LABELS_V3), ("holds.yaml", HOLDS_V4)):
        path = tmp_path / name
        path.write_text(path.read_text().rstrip("\n") + "\n" + addition)
    return tmp_path


def test_the_repository_rules_are_valid_and_complete(capsys):
    rule_sets = load_rules()
    assert set(rule_sets) == set(RULE_SETS)
    assert main(["rules", "check"]) == 0
    out = capsys.readouterr().out
    assert "cutoffs: cutoffs-v1 from 2026-01-01T00:00:00+00:00 (in force)" in out


def test_a_later_effective_date_changes_decisions_only_from_that_date(rules_dir):
    row = {"is_address_valid": True, "is_phone_valid": False, "is_routed_with_stock": False,
           "channel_service_code": "TPN24"}
    before_at, after_at = datetime(2030, 5, 31, 23, 59, tzinfo=UTC), datetime(2030, 6, 1, tzinfo=UTC)
    before, after = label_rules(before_at, rules_dir), label_rules(after_at, rules_dir)
    holds_before = in_force(HoldRules, before_at, rules_dir)
    holds_after = in_force(HoldRules, after_at, rules_dir)
    assert (before.version, after.version) == ("labels-v2", "labels-v3")
    assert (holds_before.version, holds_after.version) == ("holds-v3", "holds-v4")
    assert (hold_reason(row, before, holds_before), service_for(row, before)) == ("no_stock", "TPN24")
    assert (hold_reason(row, after, holds_after), service_for(row, after)) == ("invalid_phone", "TPN48")
    assert label_rules(datetime(2026, 6, 1, tzinfo=UTC), rules_dir).version == "labels-v1"
    assert routing_rules(datetime(2030, 6, 1, tzinfo=UTC), rules_dir).version == "routing-v1"


def test_the_moved_settings_keep_todays_values():
    """The first versions carry exactly what the seeds held, so today's outputs do not change."""
    cutoffs = in_force(CutoffRules, datetime(2026, 1, 1, tzinfo=UTC))
    assert {(r["warehouse_id"], r["service_code"]): (r["despatch_cutoff_minutes"], r["collection_minutes"])
            for r in cutoffs.table_rows()} == {
        ("leeds", "TPN24"): (840, 960), ("leeds", "TPN48"): (840, 960),
        ("bristol", "TPN24"): (900, 1020), ("bristol", "TPN48"): (840, 1020),
    }
    owners = in_force(ExceptionOwnerRules, datetime(2026, 1, 1, tzinfo=UTC))
    assert owners.reasons["stock_shortage"].owner == "purchasing"
    # despatch_at_risk_hours was a dbt var (2) before it became a rule.
    assert in_force(DespatchRiskRules, datetime(2026, 1, 1, tzinfo=UTC)).despatch_at_risk_hours == 2
    assert owners.reasons["phone_invalid"].holds_fulfilment is False


def test_priorities_book_express_first_then_the_oldest():
    from orderloop.rule_sets import PriorityRules

    rules = PriorityRules(version="p", effective_from=datetime(2026, 1, 1, tzinfo=UTC), description="p",
                          express_first=True)
    queue = [
        {"order_id": "b", "placed_at": datetime(2026, 11, 20, 9), "is_express": False},
        {"order_id": "c", "placed_at": datetime(2026, 11, 20, 10), "is_express": True},
        {"order_id": "a", "placed_at": datetime(2026, 11, 20, 9), "is_express": False},
    ]
    assert [r["order_id"] for r in in_priority_order(queue, rules)] == ["c", "a", "b"]
    oldest = rules.model_copy(update={"express_first": False})
    assert [r["order_id"] for r in in_priority_order(queue, oldest)] == ["a", "b", "c"]


def test_no_rules_in_force_before_the_first_version(rules_dir):
    with pytest.raises(RuleError, match="no labels rules are in force"):
        label_rules(datetime(2020, 1, 1, tzinfo=UTC), rules_dir)


@pytest.mark.parametrize(
    ("file", "edit", "message"),
    [
        ("labels.yaml", lambda text: text.replace("require_stock: false", "require_stock: maybe"),
         "versions.2.require_stock"),
        ("labels.yaml", lambda text: text.replace("2030-06-01T00:00:00Z", "2025-06-01T00:00:00Z"),
         "strictly increasing effective_from"),
        ("labels.yaml", lambda text: text.replace("labels-v3", "labels-v2"), "version names repeat"),
        ("labels.yaml", lambda text: text.replace("2030-06-01T00:00:00Z", "2030-06-01T00:00:00"),
         "versions.2.effective_from"),
        ("labels.yaml", lambda text: text + "    surprise: 1\n", "versions.2.surprise"),
        ("labels.yaml", lambda text: text.replace("default_service: TPN48", "default_service: tracked"),
         "versions.2.default_service"),
        ("holds.yaml", lambda text: text.replace("invalid_phone: true", "invalid_phone: sometimes"),
         "versions.3.invalid_phone"),
        ("holds.yaml", lambda text: text.replace("max_fraud_score: 64", "max_fraud_score: 101"),
         "versions.2.max_fraud_score"),
        ("holds.yaml", lambda text: text.replace("max_fraud_score: 64", "max_fraud_score: high"),
         "versions.2.max_fraud_score"),
        ("holds.yaml", lambda text: text.replace("hold_payment_review: true", "hold_payment_review: soon"),
         "versions.2.hold_payment_review"),
        ("despatch_risk.yaml", lambda text: text.replace("_at_risk_hours: 2", "_at_risk_hours: -2"),
         "versions.0.despatch_at_risk_hours"),
        ("despatch_risk.yaml", lambda text: text.replace("despatch_at_risk_hours: 2", ""),
         "versions.0.despatch_at_risk_hours"),
        ("cutoffs.yaml", lambda text: text.replace('collection: "16:00"', 'collection: "13:00"', 1),
         "collection 13:00 is before the despatch cut-off 14:00"),
        ("cutoffs.yaml", lambda text: text.replace('despatch_cutoff: "14:00"', 'despatch_cutoff: "2pm"', 1),
         "versions.0.services.0.despatch_cutoff"),
        ("channel_allocation.yaml", lambda text: text.replace("woocommerce: 30", "woocommerce: 40"),
         "shares add up to 110"),
        ("exception_owners.yaml", lambda text: text.replace("owner: finance", "owner: Finance Team"),
         "versions.0.reasons.payment_review.owner"),
        ("exception_owners.yaml", lambda text: text.replace("  despatch_at_risk:", "  despatch_late:"),
         "versions.0.reasons: Value error, unknown reasons ['despatch_late']"),
        ("exception_owners.yaml",
         lambda text: text.replace("  despatch_at_risk: {owner: warehouse, holds_fulfilment: false}\n", ""),
         "versions.0.reasons: Value error, no owner for ['despatch_at_risk']"),
        ("safety_stock.yaml", lambda text: text.replace("default_units: 1", "default_units: -1"),
         "versions.0.default_units"),
        ("routing.yaml", lambda text: text.replace("rule_set: routing", "rule_set: routeing"),
         "unknown rule set 'routeing'"),
    ],
)
def test_a_broken_rules_file_is_refused_naming_the_file_and_the_field(rules_dir, capsys, file, edit, message):
    broken = rules_dir / file
    broken.write_text(edit(broken.read_text()))
    with pytest.raises(RuleError, match=re.escape(message)) as error:
        load_rules(rules_dir)
    assert str(broken) in str(error.value)
    assert main(["rules", "check", "--dir", str(rules_dir)]) == 2
    err = capsys.readouterr().err
    assert str(broken) in err and message in err


def test_a_missing_rule_set_is_refused(rules_dir):
    (rules_dir / "cutoffs.yaml").unlink()
    with pytest.raises(RuleError, match="no rules file for cutoffs"):
        load_rules(rules_dir)


NOTIFICATIONS_V3 = """
  - version: notifications-v3
    effective_from: 2030-06-01T00:00:00Z
    description: "No delay notices"
    changes: ["- stock_shortage: delay notice"]
    kinds: [confirmation, despatched, delivered, exception]
    exception_templates:
      address_invalid: address_correction
"""


def test_notification_triggers_change_only_from_the_later_version(rules_dir):
    notifications = rules_dir / "notifications.yaml"
    notifications.write_text(notifications.read_text().rstrip("\n") + "\n" + NOTIFICATIONS_V3)
    before = notification_rules(datetime(2030, 5, 31, 23, 59, tzinfo=UTC), rules_dir)
    after = notification_rules(datetime(2030, 6, 1, tzinfo=UTC), rules_dir)
    assert (before.version, after.version) == ("notifications-v2", "notifications-v3")
    assert before.template_for("exception", "stock_shortage") == "stock_delay"
    assert after.template_for("exception", "stock_shortage") is None
    assert after.template_for("exception", "address_invalid") == "address_correction"
    first = notification_rules(datetime(2026, 6, 1, tzinfo=UTC), rules_dir)
    assert first.template_for("confirmation") is None and first.template_for("despatched") == "despatched"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        # A fraud review is the merchant's business: no version may tell the customer.
        (lambda text: text.replace("stock_shortage: stock_delay", "payment_review: stock_delay"),
         "'payment_review' is not customer-facing"),
        (lambda text: text.replace("address_correction", "address_fix"), "no template 'address_fix'"),
        (lambda text: text.replace("kinds: [confirmation,", "kinds: [survey,", 1), "kinds"),
    ],
)
def test_a_broken_notifications_file_is_refused(rules_dir, capsys, edit, message):
    notifications = rules_dir / "notifications.yaml"
    notifications.write_text(edit(notifications.read_text()))
    with pytest.raises(RuleError, match=message):
        load_rules(rules_dir)
    assert main(["rules", "check", "--dir", str(rules_dir)]) == 2
    assert str(notifications) in capsys.readouterr().err


# Queue rows as label_booking_queue gives them: a WooCommerce order paid through Stripe.
PAID = {"is_address_valid": True, "is_phone_valid": True, "is_routed_with_stock": True,
        "channel_service_code": "TPN24", "fraud_risk_score": 12, "has_open_payment_review": False,
        "is_payment_review_approved": False}


def test_the_payment_holds_apply_only_from_holds_v3():
    """holds-v3 (2026-11-28 12:00 UTC) holds an open review and a score above 64 unless a person approved
    the payment's review; before it the same orders are booked."""
    before_at, after_at = datetime(2026, 11, 28, 11, 59, tzinfo=UTC), datetime(2026, 11, 28, 12, tzinfo=UTC)
    labels = label_rules(after_at)
    before, after = in_force(HoldRules, before_at), in_force(HoldRules, after_at)
    assert (before.version, after.version) == ("holds-v2", "holds-v3")
    assert (after.max_fraud_score, after.hold_payment_review) == (64, True)
    in_review = {**PAID, "has_open_payment_review": True, "fraud_risk_score": 71}
    risky = {**PAID, "fraud_risk_score": 65}
    cases = [
        (PAID, None, None),
        ({**PAID, "fraud_risk_score": 64}, None, None),  # at the maximum is not above it
        (risky, None, "fraud_score"),
        ({**risky, "is_payment_review_approved": True}, None, None),
        (in_review, None, "payment_review"),
        ({**PAID, "fraud_risk_score": None}, None, None),  # not paid through Stripe: no score
        ({**in_review, "is_address_valid": False}, "invalid_address", "payment_review"),
    ]
    for row, held_before, held_after in cases:
        assert hold_reason(row, labels, before) == held_before, row
        assert hold_reason(row, labels, after) == held_after, row


def test_versions_without_the_payment_holds_leave_them_off():
    holds_v1 = load_rules()["holds"].versions[0]
    assert (holds_v1.max_fraud_score, holds_v1.hold_payment_review) == (None, False)
    loose = holds_v1.model_copy(update={"max_fraud_score": 90})
    row = {**PAID, "fraud_risk_score": 95, "has_open_payment_review": True}
    assert hold_reason(row, label_rules(), loose) == "fraud_score"
    assert hold_reason({**row, "fraud_risk_score": 90}, label_rules(), loose) is None


DESPATCH_RISK_V2 = """
  - version: despatch-risk-v2
    effective_from: 2030-06-01T00:00:00Z
    description: "Warn four hours ahead"
    changes: ["- 2 hours; + 4 hours before the deadline"]
    despatch_at_risk_hours: 4
"""


def test_the_despatch_risk_window_is_a_dated_setting(rules_dir):
    from pipelines.assets.rules import setting_tables

    path = rules_dir / "despatch_risk.yaml"
    path.write_text(path.read_text().rstrip("\n") + "\n" + DESPATCH_RISK_V2)
    rule_sets = load_rules(rules_dir)
    at = datetime(2030, 5, 31, 23, 59, tzinfo=UTC)
    assert rule_sets["despatch_risk"].in_force(at).despatch_at_risk_hours == 2
    assert rule_sets["despatch_risk"].in_force(datetime(2030, 6, 1, tzinfo=UTC)).despatch_at_risk_hours == 4
    table = setting_tables(rule_sets)["despatch_risk"]
    assert table.rows(named=True) == [
        {"rule_version": "despatch-risk-v1", "effective_from": datetime(2026, 1, 1),
         "effective_to": datetime(2030, 6, 1), "despatch_at_risk_hours": 2},
        {"rule_version": "despatch-risk-v2", "effective_from": datetime(2030, 6, 1),
         "effective_to": None, "despatch_at_risk_hours": 4},
    ]
