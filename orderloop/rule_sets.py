"""Versioned automation rules: the YAML files in ``rules/``, validated, and the version in
force at a given time.

Each file is one rule set with a list of versions. A version applies from its
``effective_from`` until the next one's, so a change with a later effective date alters
decisions only from that date; every decision records the version that made it, which is
what automation_impact measures. Versions are never edited once in force: a change is a
new version.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
)

from orderloop.paths import PROJECT_ROOT

RULES_DIR = PROJECT_ROOT / "rules"


class RuleError(ValueError):
    """A rules file that cannot be used; the message names the file and the problem."""


class _Version(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1)
    effective_from: AwareDatetime
    description: str = Field(min_length=1)
    # The rule diff in words: "+ added", "- removed".
    changes: list[str] = Field(default_factory=list)


class LabelRules(_Version):
    """How labels are booked."""

    hold_invalid_addresses: bool
    require_stock: bool
    default_service: str = Field(pattern=r"^[A-Z0-9]{3,10}$")
    use_channel_service: bool


class RoutingRules(_Version):
    """How open orders are allocated to warehouses."""

    express_first: bool
    prefer_cutoff_ahead: bool


class LabelRuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rule_set: Literal["labels"]
    versions: list[LabelRules] = Field(min_length=1)


class RoutingRuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rule_set: Literal["routing"]
    versions: list[RoutingRules] = Field(min_length=1)


# Customer notifications -------------------------------------------------------------------

NOTIFICATION_TEMPLATES = PROJECT_ROOT / "pipelines" / "notifications" / "templates"
# Exceptions a customer can act on or should hear about. The others (a fraud review, a
# carrier refusing a booking, a despatch deadline at risk) are the merchant's business:
# naming one in the rules is an error, so no version can ever email a customer about it.
CUSTOMER_FACING_REASONS = frozenset(
    {"address_invalid", "payment_failed", "stock_shortage", "delivery_failed", "phone_invalid"}
)
NotificationKind = Literal["confirmation", "despatched", "delivered", "exception"]


class NotificationRules(_Version):
    """Which customer notifications are sent, and which template answers which exception."""

    kinds: list[NotificationKind] = Field(min_length=1)
    # exception reason -> template (pipelines/notifications/templates/<name>.txt)
    exception_templates: dict[str, str] = Field(default_factory=dict)

    @field_validator("exception_templates")
    @classmethod
    def _customer_facing_with_a_template(cls, value: dict[str, str]) -> dict[str, str]:
        for reason, template in value.items():
            if reason not in CUSTOMER_FACING_REASONS:
                raise ValueError(
                    f"exception reason {reason!r} is not customer-facing; customers may be notified of"
                    f" {sorted(CUSTOMER_FACING_REASONS)} only"
                )
            if not (NOTIFICATION_TEMPLATES / f"{template}.txt").is_file():
                raise ValueError(f"no template {template!r} for {reason} in {NOTIFICATION_TEMPLATES}")
        return value

    def template_for(self, kind: str, exception_reason: str | None = None) -> str | None:
        """The template to send for this kind (and exception reason), or None when not notified."""
        if kind not in self.kinds:
            return None
        if kind == "exception":
            return self.exception_templates.get(exception_reason or "")
        return kind


class NotificationRuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rule_set: Literal["notifications"]
    versions: list[NotificationRules] = Field(min_length=1)


AnyRuleSet = LabelRuleSet | RoutingRuleSet | NotificationRuleSet
RuleSet = Annotated[AnyRuleSet, Field(discriminator="rule_set")]


def _ordered(rule_set: AnyRuleSet) -> AnyRuleSet:
    names = [v.version for v in rule_set.versions]
    if len(set(names)) != len(names):
        raise ValueError(f"version names repeat: {sorted(n for n in names if names.count(n) > 1)}")
    starts = [v.effective_from for v in rule_set.versions]
    if starts != sorted(starts) or len(set(starts)) != len(starts):
        raise ValueError("versions must be listed in order of strictly increasing effective_from")
    return rule_set


def load_rule_set(path: Path) -> AnyRuleSet:
    """One rules file, validated; RuleError names the file and what is wrong."""
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise RuleError(f"{path}: cannot read YAML ({error})") from error
    try:
        return _ordered(TypeAdapter(RuleSet).validate_python(raw))
    except (ValidationError, ValueError) as error:
        raise RuleError(f"{path}: {error}") from error


def load_rules(directory: Path = RULES_DIR) -> dict[str, AnyRuleSet]:
    """Every rule set in ``directory`` by name; each name may appear in one file only."""
    rule_sets: dict[str, AnyRuleSet] = {}
    for path in sorted(directory.glob("*.yaml")):
        rule_set = load_rule_set(path)
        if rule_set.rule_set in rule_sets:
            raise RuleError(f"{path}: rule set {rule_set.rule_set!r} is defined in another file too")
        rule_sets[rule_set.rule_set] = rule_set
    missing = {"labels", "routing", "notifications"} - set(rule_sets)
    if missing:
        raise RuleError(f"{directory}: no rules file for {', '.join(sorted(missing))}")
    return rule_sets


def version_in_force(
    rule_set: AnyRuleSet, at: datetime | None = None
) -> LabelRules | RoutingRules | NotificationRules:
    """The version whose effective_from is the latest at or before ``at`` (default: now)."""
    at = at or datetime.now(UTC)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    in_force = [v for v in rule_set.versions if v.effective_from <= at]
    if not in_force:
        raise RuleError(f"no {rule_set.rule_set} rules are in force at {at.isoformat()}")
    return in_force[-1]


def label_rules(at: datetime | None = None, directory: Path = RULES_DIR) -> LabelRules:
    """The label booking rules in force at ``at``."""
    rules = version_in_force(load_rules(directory)["labels"], at)
    assert isinstance(rules, LabelRules)
    return rules


def routing_rules(at: datetime | None = None, directory: Path = RULES_DIR) -> RoutingRules:
    """The routing rules in force at ``at``."""
    rules = version_in_force(load_rules(directory)["routing"], at)
    assert isinstance(rules, RoutingRules)
    return rules


def notification_rules(at: datetime | None = None, directory: Path = RULES_DIR) -> NotificationRules:
    """The customer notification rules in force at ``at``."""
    rules = version_in_force(load_rules(directory)["notifications"], at)
    assert isinstance(rules, NotificationRules)
    return rules
