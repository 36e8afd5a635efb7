"""Versioned automation rules: the YAML files in ``rules/``, validated, and the version in
force at a given time.

Each file is one rule set with a list of versions. A version applies from its
``effective_from`` until the next one's, so a change with a later effective date alters
decisions only from that date; every decision records the version that made it. One module
per rule set; ``loading.RULE_SETS`` lists them.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TypeVar

from orderloop.rule_sets.channel_allocation import ChannelAllocationRules
from orderloop.rule_sets.cutoffs import CutoffRules
from orderloop.rule_sets.despatch_risk import DespatchRiskRules
from orderloop.rule_sets.exception_owners import ExceptionOwnerRules
from orderloop.rule_sets.holds import HoldRules
from orderloop.rule_sets.labels import LabelRules
from orderloop.rule_sets.loading import RULE_SETS, RULES_DIR, load_rule_set, load_rules
from orderloop.rule_sets.notifications import NotificationRules
from orderloop.rule_sets.priorities import PriorityRules
from orderloop.rule_sets.routing import RoutingRules
from orderloop.rule_sets.safety_stock import SafetyStockRules
from orderloop.rule_sets.versioning import RuleError, RuleSet, RuleVersion

__all__ = [
    "RULES_DIR", "RULE_SETS", "ChannelAllocationRules", "CutoffRules", "DespatchRiskRules",
    "ExceptionOwnerRules", "HoldRules",
    "LabelRules", "NotificationRules", "PriorityRules", "RoutingRules", "RuleError", "RuleSet", "RuleVersion",
    "SafetyStockRules",
    "in_force", "label_rules", "load_rule_set", "load_rules", "notification_rules", "routing_rules",
]

VersionT = TypeVar("VersionT", bound=RuleVersion)


def in_force(kind: type[VersionT], at: datetime | None = None, directory: Path | None = None) -> VersionT:
    """The version of the rule set whose versions are ``kind`` in force at ``at`` (default: now)."""
    name = next(name for name, model in RULE_SETS.items() if model is kind)
    rules = load_rules(directory)[name].in_force(at)
    assert isinstance(rules, kind)
    return rules


def label_rules(at: datetime | None = None, directory: Path | None = None) -> LabelRules:
    """The label booking rules in force at ``at``."""
    return in_force(LabelRules, at, directory)


def routing_rules(at: datetime | None = None, directory: Path | None = None) -> RoutingRules:
    """The routing rules in force at ``at``."""
    return in_force(RoutingRules, at, directory)


def notification_rules(at: datetime | None = None, directory: Path | None = None) -> NotificationRules:
    """The customer notification rules in force at ``at``."""
    return in_force(NotificationRules, at, directory)
