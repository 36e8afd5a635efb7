"""Despatch risk rules (rules/despatch_risk.yaml): when an order not yet packed becomes a
``despatch_at_risk`` exception."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from orderloop.rule_sets.versioning import RuleVersion


class DespatchRiskRules(RuleVersion):
    """An order that is paid or authorised and not yet packed is at risk from this many hours
    before its despatch deadline until it is packed. The version in force when the order's SLA
    clock started decides, as the cut-offs that set the deadline do, so a change never moves
    the warning of an order whose clock was already running."""

    # Hours before the despatch deadline (a week at most: the deadline is days away at most).
    despatch_at_risk_hours: int = Field(ge=0, le=168)

    table: ClassVar[str | None] = "despatch_risk"
    columns: ClassVar[dict[str, str]] = {"despatch_at_risk_hours": "integer"}

    def table_rows(self) -> list[dict]:
        return [{"despatch_at_risk_hours": self.despatch_at_risk_hours}]
