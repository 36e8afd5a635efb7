"""Channel allocation rules (rules/channel_allocation.yaml): the share of available-to-sell
stock each sales channel may publish."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, field_validator

from orderloop.rule_sets.versioning import RuleVersion


class ChannelAllocationRules(RuleVersion):
    """Shares in percent per channel; at most 100 in all, so the channels together never
    promise more than there is."""

    shares: dict[str, int] = Field(min_length=1)

    table: ClassVar[str | None] = "channel_allocations"
    columns: ClassVar[dict[str, str]] = {"channel": "varchar", "share_pct": "integer"}

    @field_validator("shares")
    @classmethod
    def _at_most_everything(cls, shares: dict[str, int]) -> dict[str, int]:
        if any(share < 0 or share > 100 for share in shares.values()):
            raise ValueError("each share must be between 0 and 100")
        if sum(shares.values()) > 100:
            raise ValueError(f"shares add up to {sum(shares.values())}, more than 100")
        return shares

    def table_rows(self) -> list[dict]:
        return [{"channel": channel, "share_pct": share} for channel, share in sorted(self.shares.items())]
