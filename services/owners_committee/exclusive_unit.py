"""An exclusive unit (专有部分) of a compound: the basis of the owners' electorate, each carrying
its registered exclusive floor area."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from services.common.aggregate import GovernanceAggregate
from services.common.errors import InvalidInput, require_text

AREA_QUANTUM = Decimal("0.01")
MAX_AREA = Decimal("100000")


def require_area(value: Decimal | str | float, field: str) -> Decimal:
    try:
        area = Decimal(str(value)).quantize(AREA_QUANTUM)
    except InvalidOperation:
        raise InvalidInput(f"{field} must be a number of square metres", field=field) from None
    if not Decimal(0) < area <= MAX_AREA:
        raise InvalidInput(f"{field} must be above 0 and at most {MAX_AREA} m²", field=field)
    return area


class ExclusiveUnit(GovernanceAggregate):
    @staticmethod
    def create_id(compound_id: UUID, building: str, unit: str) -> UUID:
        # One unit is registered once: its id follows from where it is.
        return uuid5(NAMESPACE_URL, f"siwei:unit:{compound_id}:{building}:{unit}")

    @event("ExclusiveUnitRegistered")
    def __init__(
        self, compound_id: UUID, building: str, unit: str, exclusive_area: Decimal, owner: str
    ) -> None:
        self.building = building
        self.unit = unit
        self.exclusive_area = exclusive_area
        self.owner = owner

    @classmethod
    def register(
        cls, *, compound_id: UUID, building: str, unit: str, exclusive_area: Decimal, owner: str
    ) -> ExclusiveUnit:
        building = require_text(building, "building", max_length=40)
        unit = require_text(unit, "unit", max_length=40)
        return cls(
            compound_id=compound_id,
            building=building,
            unit=unit,
            exclusive_area=require_area(exclusive_area, "exclusiveArea"),
            owner=require_text(owner, "owner"),
        )
