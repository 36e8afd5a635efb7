"""Exception owner rules (rules/exception_owners.yaml): which team owns each exception reason,
and whether an open exception of that reason holds the order's fulfilment."""

from __future__ import annotations

import csv
from functools import cache
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from orderloop.paths import DBT_PROJECT_DIR
from orderloop.rule_sets.versioning import RuleVersion

REASONS_SEED = DBT_PROJECT_DIR / "seeds" / "exception_reasons.csv"


@cache
def known_reasons() -> frozenset[str]:
    """The exception reasons the warehouse can open (the dbt seed is their vocabulary)."""
    with REASONS_SEED.open(newline="") as seed:
        return frozenset(row["reason"] for row in csv.DictReader(seed))


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

    @field_validator("reasons")
    @classmethod
    def _every_reason_once(cls, reasons: dict[str, ReasonOwner]) -> dict[str, ReasonOwner]:
        # Every reason needs an owner, or its exceptions would have none.
        unknown, missing = set(reasons) - known_reasons(), known_reasons() - set(reasons)
        if unknown:
            raise ValueError(f"unknown reasons {sorted(unknown)} (seeds/exception_reasons.csv lists them)")
        if missing:
            raise ValueError(f"no owner for {sorted(missing)}")
        return reasons

    def table_rows(self) -> list[dict]:
        return [
            {"reason": reason, "owner": rule.owner, "holds_fulfilment": rule.holds_fulfilment}
            for reason, rule in sorted(self.reasons.items())
        ]
