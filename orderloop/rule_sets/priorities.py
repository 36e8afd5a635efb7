"""Priority rules (rules/priorities.yaml): which orders are served first when stock or time is short."""

from __future__ import annotations

from orderloop.rule_sets.versioning import RuleVersion


class PriorityRules(RuleVersion):
    """Routing gives stock, and label booking books, in this order: express services first
    when ``express_first``, then the oldest (routing: earliest payment; labels: earliest
    placement), then the order id so the order is total."""

    express_first: bool
