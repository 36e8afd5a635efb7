"""Label booking rules (rules/labels.yaml): which queued orders get a label and which service."""

from __future__ import annotations

from pydantic import Field

from orderloop.rule_sets.versioning import RuleVersion


class LabelRules(RuleVersion):
    """How labels are booked. Holds (address, phone) are the holds rule set's."""

    require_stock: bool
    default_service: str = Field(pattern=r"^[A-Z0-9]{3,10}$")
    use_channel_service: bool
