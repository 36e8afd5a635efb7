"""Routing rules (rules/routing.yaml): how open orders are allocated to warehouses."""

from __future__ import annotations

from orderloop.rule_sets.versioning import RuleVersion


class RoutingRules(RuleVersion):
    """Which warehouse is preferred; the order in which orders get stock is the priorities'."""

    prefer_cutoff_ahead: bool
