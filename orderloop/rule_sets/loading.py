"""Reading rules/: every file validated against its rule set's schema, with errors that name
the file and the field. To add a rule set, give its version model an entry in RULE_SETS."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from orderloop.paths import PROJECT_ROOT, data_paths
from orderloop.rule_sets.channel_allocation import ChannelAllocationRules
from orderloop.rule_sets.cutoffs import CutoffRules
from orderloop.rule_sets.despatch_risk import DespatchRiskRules
from orderloop.rule_sets.exception_owners import ExceptionOwnerRules
from orderloop.rule_sets.holds import HoldRules
from orderloop.rule_sets.labels import LabelRules
from orderloop.rule_sets.notifications import NotificationRules
from orderloop.rule_sets.priorities import PriorityRules
from orderloop.rule_sets.routing import RoutingRules
from orderloop.rule_sets.safety_stock import SafetyStockRules
from orderloop.rule_sets.versioning import RuleError, RuleSet, RuleVersion

# The project's own rules; a data folder may carry its own (DataPaths.rules), which win.
RULES_DIR = PROJECT_ROOT / "rules"

# Every rule set orderloop knows, by the name its file gives in ``rule_set``; each is required.
RULE_SETS: dict[str, type[RuleVersion]] = {
    "labels": LabelRules,
    "routing": RoutingRules,
    "priorities": PriorityRules,
    "holds": HoldRules,
    "exception_owners": ExceptionOwnerRules,
    "cutoffs": CutoffRules,
    "despatch_risk": DespatchRiskRules,
    "safety_stock": SafetyStockRules,
    "channel_allocation": ChannelAllocationRules,
    "notifications": NotificationRules,
}


def _field_errors(error: ValidationError) -> str:
    """One line per problem: the field's path in the file (versions.1.require_stock) and why."""
    lines = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"]) or "(file)"
        lines.append(f"  {where}: {problem['msg']}")
    return "\n".join(lines)


def load_rule_set(path: Path) -> RuleSet:
    """One rules file, validated; RuleError names the file, the field and what is wrong."""
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise RuleError(f"{path}: cannot read YAML ({error})") from error
    if not isinstance(raw, dict) or "rule_set" not in raw:
        raise RuleError(f"{path}: rule_set: missing (one of {', '.join(RULE_SETS)})")
    model = RULE_SETS.get(raw["rule_set"]) if isinstance(raw["rule_set"], str) else None
    if model is None:
        known = ", ".join(RULE_SETS)
        raise RuleError(f"{path}: rule_set: unknown rule set {raw['rule_set']!r} (one of {known})")
    try:
        return RuleSet[model].model_validate(raw)
    except ValidationError as error:
        raise RuleError(f"{path}: invalid {raw['rule_set']} rules\n{_field_errors(error)}") from error


def load_rules(directory: Path | None = None) -> dict[str, RuleSet]:
    """Every rule set in ``directory`` (default: the data folder's rules in force) by name; each
    name in one file only, none missing."""
    directory = Path(directory) if directory is not None else data_paths().rules
    if not directory.is_dir():
        raise RuleError(f"{directory}: not a folder of rules files")
    rule_sets: dict[str, RuleSet] = {}
    for path in sorted(directory.glob("*.yaml")):
        rule_set = load_rule_set(path)
        if rule_set.rule_set in rule_sets:
            raise RuleError(f"{path}: rule set {rule_set.rule_set!r} is defined in another file too")
        rule_sets[rule_set.rule_set] = rule_set
    missing = set(RULE_SETS) - set(rule_sets)
    if missing:
        raise RuleError(f"{directory}: no rules file for {', '.join(sorted(missing))}")
    return rule_sets
