"""Cut-off rules (rules/cutoffs.yaml): per warehouse and carrier service, the latest time an
order can start its SLA clock and still be due out with that day's collection."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from orderloop.rule_sets.versioning import RuleVersion

LOCAL_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


def minutes_after_midnight(local_time: str) -> int:
    hours, minutes = local_time.split(":")
    return int(hours) * 60 + int(minutes)


class ServiceCutoff(BaseModel):
    """Times are local to the warehouse (seeds/warehouses.csv timezone), HH:MM."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    warehouse_id: str = Field(min_length=1)
    service_code: str = Field(pattern=r"^[A-Z0-9]{3,10}$")
    despatch_cutoff: str = Field(pattern=LOCAL_TIME)
    collection: str = Field(pattern=LOCAL_TIME)

    @model_validator(mode="after")
    def _collection_after_cutoff(self) -> ServiceCutoff:
        if minutes_after_midnight(self.collection) < minutes_after_midnight(self.despatch_cutoff):
            raise ValueError(
                f"{self.warehouse_id} {self.service_code}: collection {self.collection}"
                f" is before the despatch cut-off {self.despatch_cutoff}"
            )
        return self


class CutoffRules(RuleVersion):
    """Every warehouse and service an order can be routed to needs a row; an order whose
    warehouse and service have none gets no despatch deadline."""

    services: list[ServiceCutoff] = Field(min_length=1)

    table: ClassVar[str | None] = "cutoffs"
    columns: ClassVar[dict[str, str]] = {
        "warehouse_id": "varchar", "service_code": "varchar",
        "despatch_cutoff_minutes": "integer", "collection_minutes": "integer",
    }

    @field_validator("services")
    @classmethod
    def _one_row_per_pair(cls, services: list[ServiceCutoff]) -> list[ServiceCutoff]:
        pairs = [(s.warehouse_id, s.service_code) for s in services]
        repeated = sorted({p for p in pairs if pairs.count(p) > 1})
        if repeated:
            raise ValueError(f"warehouse and service listed twice: {repeated}")
        return services

    def table_rows(self) -> list[dict]:
        return [
            {
                "warehouse_id": s.warehouse_id,
                "service_code": s.service_code,
                "despatch_cutoff_minutes": minutes_after_midnight(s.despatch_cutoff),
                "collection_minutes": minutes_after_midnight(s.collection),
            }
            for s in self.services
        ]
