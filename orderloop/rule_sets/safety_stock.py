"""Safety stock rules (rules/safety_stock.yaml): units kept back from what channels may sell."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from orderloop.rule_sets.versioning import RuleVersion


class SkuSafetyStock(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    warehouse_id: str = Field(min_length=1)
    sku: str = Field(min_length=1)
    units: int = Field(ge=0)


class SafetyStockRules(RuleVersion):
    """``default_units`` per SKU and warehouse, unless ``per_sku`` says otherwise. Applied
    with the version in force at the data's as-of time (stock positions are "now")."""

    default_units: int = Field(ge=0)
    per_sku: list[SkuSafetyStock] = Field(default_factory=list)

    table: ClassVar[str | None] = "safety_stock"
    # A row with neither warehouse nor SKU is the default.
    columns: ClassVar[dict[str, str]] = {"warehouse_id": "varchar", "sku": "varchar", "units": "integer"}

    @field_validator("per_sku")
    @classmethod
    def _one_row_per_pair(cls, per_sku: list[SkuSafetyStock]) -> list[SkuSafetyStock]:
        pairs = [(s.warehouse_id, s.sku) for s in per_sku]
        repeated = sorted({p for p in pairs if pairs.count(p) > 1})
        if repeated:
            raise ValueError(f"warehouse and SKU listed twice: {repeated}")
        return per_sku

    def table_rows(self) -> list[dict]:
        default = {"warehouse_id": None, "sku": None, "units": self.default_units}
        per_sku = [{"warehouse_id": s.warehouse_id, "sku": s.sku, "units": s.units} for s in self.per_sku]
        return [default, *per_sku]
