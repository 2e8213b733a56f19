"""An exclusive unit (专有部分) of a compound: the basis of the owners' electorate, each carrying
its registered exclusive floor area and its owner.

Headcount follows the Supreme People's Court interpretation on building-unit ownership (建筑物区分
所有权解释, art. 9): one exclusive unit is one owner, but all units of one buyer count as one, and
the developer's unsold or undelivered units count as one. The committee registers a unit's owner
the same way for all of one buyer's units, and the developer's unsold or undelivered units under
the developer's name, so each owner name counts once; the area is the registered exclusive area."""

from __future__ import annotations

from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from services.common.aggregate import GovernanceAggregate
from services.common.errors import RuleViolated, require_decimal, require_text

MAX_AREA = Decimal("100000")


def require_area(value: Decimal | str | float, field: str) -> Decimal:
    return require_decimal(value, field, unit="m²", maximum=MAX_AREA)


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

    @property
    def label(self) -> str:
        return f"{self.building}-{self.unit}"

    def transfer(self, owner: str) -> None:
        """The unit passes to a new owner (a sale, a delivery by the developer, an inheritance)."""
        owner = require_text(owner, "owner")
        if owner == self.owner:
            raise RuleViolated(f"{self.label} is owned by that owner already")
        self._transferred(owner=owner)

    @event("UnitOwnershipTransferred")
    def _transferred(self, owner: str) -> None:
        self.owner = owner

    def correct_area(self, exclusive_area: Decimal, reason: str) -> None:
        area = require_area(exclusive_area, "exclusiveArea")
        if area == self.exclusive_area:
            raise RuleViolated(f"{self.label} is registered with {area} m² already")
        self._area_corrected(exclusive_area=area, reason=require_text(reason, "reason"))

    @event("ExclusiveAreaCorrected")
    def _area_corrected(self, exclusive_area: Decimal, reason: str) -> None:
        self.exclusive_area = exclusive_area


class OwnersRoll(GovernanceAggregate):
    """The register of a compound's units (业主名册), so that a vote can freeze its electorate."""

    @staticmethod
    def create_id(compound_id: UUID) -> UUID:
        return uuid5(NAMESPACE_URL, f"siwei:owners-roll:{compound_id}")

    @event("OwnersRollOpened")
    def __init__(self, compound_id: UUID) -> None:
        self.unit_ids: list[UUID] = []

    # Erasures were once recorded on the roll; they are now every body's ``Erasures``. A published
    # event is never removed: rolls that hold one still replay.
    @event("OwnerDataErased")
    def _erased(self, person_id: UUID, reason: str) -> None:
        pass

    def enrol(self, unit: ExclusiveUnit) -> None:
        self._enrolled(unit_id=unit.id)

    @event("UnitEnrolled")
    def _enrolled(self, unit_id: UUID) -> None:
        self.unit_ids.append(unit_id)
