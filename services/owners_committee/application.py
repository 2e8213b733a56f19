"""The owners' committee service: what the owners' committee records."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from uuid import UUID

from services.common.application import BodyApplication, Receipt
from services.common.bodies import Body
from services.common.errors import NotFound
from services.owners_committee.exclusive_unit import ExclusiveUnit


class OwnersCommitteeService(BodyApplication):
    body = Body.OWNERS_COMMITTEE
    aggregates = (ExclusiveUnit,)

    def __init__(
        self, database_url: str | None = None, *, compound_exists: Callable[[UUID], bool]
    ) -> None:
        super().__init__(database_url)
        self._compound_exists = compound_exists

    def register_exclusive_unit(
        self, *, compound_id: UUID, building: str, unit: str, exclusive_area: Decimal, owner: str
    ) -> Receipt:
        """Registers an exclusive unit (专有部分) and its owner in the compound's electorate."""
        if not self._compound_exists(compound_id):
            raise NotFound(f"no compound with id {compound_id}", field="compoundId")
        registered = ExclusiveUnit.register(
            compound_id=compound_id, building=building, unit=unit,
            exclusive_area=exclusive_area, owner=owner,
        )
        return self.record(
            registered,
            conflict=f"unit {registered.building}-{registered.unit} is already registered",
        )
