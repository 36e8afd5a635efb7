"""What every rule version has, and which version is in force at a given time.

A version applies from its ``effective_from`` until the next one's, so a change with a later
effective date alters decisions only from that date. Versions are never edited once in
force: a change is a new version.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar, Generic, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator


class RuleError(ValueError):
    """A rules file that cannot be used; the message names the file and the problem."""


class RuleVersion(BaseModel):
    """The fields every version of every rule set carries."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1)
    effective_from: AwareDatetime
    description: str = Field(min_length=1)
    # The rule diff in words: "+ added", "- removed".
    changes: list[str] = Field(default_factory=list)

    # Rule sets the warehouse joins by date name a table in the ``rules`` schema and give
    # its rows (see pipelines/assets/rules.py); the others only reach rules.rule_versions.
    table: ClassVar[str | None] = None
    columns: ClassVar[dict[str, str]] = {}

    def table_rows(self) -> list[dict]:
        """This version's settings as rows of its warehouse table."""
        return []


VersionT = TypeVar("VersionT", bound=RuleVersion)


class RuleSet(BaseModel, Generic[VersionT]):
    """One rules file: its name and its versions, in order of effective date."""

    model_config = ConfigDict(extra="forbid")

    rule_set: str
    versions: list[VersionT] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> RuleSet:
        names = [v.version for v in self.versions]
        if len(set(names)) != len(names):
            raise ValueError(f"version names repeat: {sorted({n for n in names if names.count(n) > 1})}")
        starts = [v.effective_from for v in self.versions]
        if starts != sorted(starts) or len(set(starts)) != len(starts):
            raise ValueError("versions must be listed in order of strictly increasing effective_from")
        return self

    def in_force(self, at: datetime | None = None) -> VersionT:
        """The version whose effective_from is the latest at or before ``at`` (default: now;
        a naive ``at`` is read as UTC, like every warehouse timestamp)."""
        at = at or datetime.now(UTC)
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        in_force = [v for v in self.versions if v.effective_from <= at]
        if not in_force:
            raise RuleError(f"no {self.rule_set} rules are in force at {at.isoformat()}")
        return in_force[-1]

    def effective_to(self, version: RuleVersion) -> datetime | None:
        """When ``version`` stops deciding: the next version's effective_from (None: still in force)."""
        later = [v.effective_from for v in self.versions if v.effective_from > version.effective_from]
        return min(later) if later else None

