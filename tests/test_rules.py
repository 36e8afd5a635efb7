"""The versioned rules in rules/: validation with clear errors, and the version in force by date."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from orderloop.cli import main
from orderloop.rule_sets import RuleError, label_rules, load_rules, notification_rules, routing_rules
from pipelines.actions.label_booking import hold_reason, service_for

LABELS_V3 = """
  - version: labels-v3
    effective_from: 2030-06-01T00:00:00Z
    description: "Book Tracked 48 for everything"
    changes: ["- the channel's service; + always TPN48"]
    hold_invalid_addresses: true
    require_stock: false
    default_service: TPN48
    use_channel_service: false
"""


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    """A copy of the repository's rules with a labels-v3 that takes effect in 2030."""
    from orderloop.rule_sets import RULES_DIR

    for path in RULES_DIR.glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text())
    labels = tmp_path / "labels.yaml"
    labels.write_text(labels.read_text().rstrip("\n") + "\n" + LABELS_V3)
    return tmp_path


def test_the_repository_rules_are_valid():
    rule_sets = load_rules()
    assert set(rule_sets) == {"labels", "routing", "notifications"}
    assert main(["rules", "check"]) == 0


def test_a_later_effective_date_changes_decisions_only_from_that_date(rules_dir):
    row = {"is_address_valid": True, "is_routed_with_stock": False, "channel_service_code": "TPN24"}
    before = label_rules(datetime(2030, 5, 31, 23, 59, tzinfo=UTC), rules_dir)
    after = label_rules(datetime(2030, 6, 1, tzinfo=UTC), rules_dir)
    assert (before.version, after.version) == ("labels-v2", "labels-v3")
    assert (hold_reason(row, before), service_for(row, before)) == ("no_stock", "TPN24")
    assert (hold_reason(row, after), service_for(row, after)) == (None, "TPN48")
    assert label_rules(datetime(2026, 6, 1, tzinfo=UTC), rules_dir).version == "labels-v1"
    assert routing_rules(datetime(2030, 6, 1, tzinfo=UTC), rules_dir).version == "routing-v1"


def test_no_rules_in_force_before_the_first_version(rules_dir):
    with pytest.raises(RuleError, match="no labels rules are in force"):
        label_rules(datetime(2020, 1, 1, tzinfo=UTC), rules_dir)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda text: text.replace("hold_invalid_addresses: true", "hold_invalid_addresses: maybe", 1),
         "hold_invalid_addresses"),
        (lambda text: text.replace("2030-06-01T00:00:00Z", "2025-06-01T00:00:00Z"),
         "strictly increasing effective_from"),
        (lambda text: text.replace("labels-v3", "labels-v2"), "version names repeat"),
        (lambda text: text.replace("2030-06-01T00:00:00Z", "2030-06-01T00:00:00"), "timezone"),
        (lambda text: text + "    surprise: 1\n", "surprise"),
        (lambda text: text.replace("default_service: TPN48", "default_service: tracked"), "default_service"),
    ],
)
def test_a_broken_rules_file_is_refused_naming_the_file_and_the_field(rules_dir, capsys, edit, message):
    labels = rules_dir / "labels.yaml"
    labels.write_text(edit(labels.read_text()))
    with pytest.raises(RuleError, match=message) as error:
        load_rules(rules_dir)
    assert str(labels) in str(error.value)
    assert main(["rules", "check", "--dir", str(rules_dir)]) == 2
    assert str(labels) in capsys.readouterr().err


def test_a_missing_rule_set_is_refused(rules_dir):
    (rules_dir / "routing.yaml").unlink()
    with pytest.raises(RuleError, match="no rules file for routing"):
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
