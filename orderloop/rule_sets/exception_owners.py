"""Exception owner rules (rules/exception_owners.yaml): which team owns each exception reason,
and whether an open exception of that reason holds the order's fulfilment."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from orderloop.rule_sets.versioning import RuleVersion


class ReasonOwner(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    owner: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    holds_fulfilment: bool


class ExceptionOwnerRules(RuleVersion):
    """Per exception reason (the vocabulary is dbt_project/seeds/exception_reasons.csv): its
    owner and whether it holds fulfilment. An exception takes the owner in force when it opened."""

    reasons: dict[str, ReasonOwner] = Field(min_length=1)

    table: ClassVar[str | None] = "exception_owners"
    columns: ClassVar[dict[str, str]] = {
        "reason": "varchar", "owner": "varchar", "holds_fulfilment": "boolean"
    }

    def table_rows(self) -> list[dict]:
        return [
            {"reason": reason, "owner": rule.owner, "holds_fulfilment": rule.holds_fulfilment}
            for reason, rule in sorted(self.reasons.items())
        ]
