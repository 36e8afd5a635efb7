"""The declarative mapping from a CSV export's columns to orderloop's canonical order fields.

A mapping is YAML (documented in docs/order-file-mappings.md). It is validated before any
file is read, so a typo in a mapping is one clear error instead of every row quarantined.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

# Canonical statuses a file's status values may map to: the ones a marketplace report can
# state (a subset of dbt's seeds/order_statuses.csv; a test keeps them in step).
CANONICAL_STATUSES = frozenset(
    {
        "placed", "payment_failed", "payment_authorised", "paid", "label_booked", "despatched",
        "delivered", "returned", "cancelled",
    }
)
REQUIRED_FIELDS = ("order_id", "placed_at")
CANONICAL_FIELDS = frozenset(
    {
        "order_id", "placed_at", "status", "sku", "quantity", "unit_price", "total_amount", "currency",
        "email", "ship_to_name", "ship_to_address1", "ship_to_address2", "ship_to_city",
        "ship_to_postcode", "ship_to_country_code",
    }
)


class MappingError(ValueError):
    """A mapping file that cannot be used; the message names the file and the problem."""


class TimestampFormat(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: str | None = Field(None, description="strptime format; omit for ISO 8601")
    timezone: str = Field("UTC", description="IANA zone of timestamps without an offset")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value


class CsvDialect(BaseModel):
    model_config = ConfigDict(extra="forbid")

    delimiter: str = ","
    encoding: str = "utf-8-sig"
    decimal_comma: bool = False


class OrderFileMapping(BaseModel):
    """Which column is which canonical field, and how to read its values."""

    model_config = ConfigDict(extra="forbid")

    channel: str = Field(description="Channel name the orders belong to, e.g. ebay or amazon")
    columns: dict[str, str] = Field(description="canonical field -> column header in the file")
    timestamp: TimestampFormat = TimestampFormat()
    statuses: dict[str, str] = Field(default_factory=dict, description="file status -> canonical status")
    defaults: dict[str, str] = Field(default_factory=dict, description="canonical field -> constant value")
    csv: CsvDialect = CsvDialect()

    @model_validator(mode="after")
    def _consistent(self) -> OrderFileMapping:
        unknown = sorted(set(self.columns) - CANONICAL_FIELDS) + sorted(set(self.defaults) - CANONICAL_FIELDS)
        if unknown:
            raise ValueError(f"unknown canonical field(s) {unknown}; known: {sorted(CANONICAL_FIELDS)}")
        missing = [f for f in REQUIRED_FIELDS if f not in self.columns]
        if missing:
            raise ValueError(f"columns must map {missing}")
        bad = sorted({v for v in self.statuses.values() if v not in CANONICAL_STATUSES})
        if bad:
            known = sorted(CANONICAL_STATUSES)
            raise ValueError(f"statuses map to unknown canonical status(es) {bad}; known: {known}")
        if "status" in self.columns and not self.statuses:
            raise ValueError("a status column needs a `statuses` table mapping its values")
        return self


def load_mapping(path: Path | str) -> OrderFileMapping:
    """Read and validate a mapping file."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise MappingError(f"cannot read mapping {path}: {error}") from error
    if not isinstance(raw, dict):
        raise MappingError(f"mapping {path} must be a YAML mapping at the top level")
    try:
        return OrderFileMapping.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'mapping'}: {e['msg']}" for e in error.errors()
        )
        raise MappingError(f"invalid mapping {path}: {problems}") from error
