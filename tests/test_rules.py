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

HOLDS_V3 = """
  - version: holds-v3
    effective_from: 2030-06-01T00:00:00Z
    description: "Also hold orders whose phone number is invalid"
    changes: ["+ hold invalid phone numbers"]
    invalid_address: true
    invalid_phone: true
"""


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    """A copy of the repository's rules with labels-v3 and holds-v3 that take effect in 2030."""
    from orderloop.rule_sets import RULES_DIR

    for path in RULES_DIR.glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text())
    for name, addition in (("labels.yaml", LABELS_V3), ("holds.yaml", HOLDS_V3)):
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
    assert (holds_before.version, holds_after.version) == ("holds-v2", "holds-v3")
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
         "versions.2.invalid_phone"),
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
