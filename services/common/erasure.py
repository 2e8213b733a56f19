"""A body's record of the people whose personal data it erased in a compound (PIPL art. 47): who
erased, why, by the person's pseudonymous id. The key is deleted after this is recorded."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from services.common.aggregate import GovernanceAggregate
from services.common.errors import RuleViolated, require_text


class Erasures(GovernanceAggregate):
    @staticmethod
    def create_id(compound_id: UUID) -> UUID:
        return uuid5(NAMESPACE_URL, f"siwei:erasures:{compound_id}")

    @event("ErasuresOpened")
    def __init__(self, compound_id: UUID) -> None:
        self.erased: set[UUID] = set()

    def erase(self, person_id: UUID, reason: str) -> None:
        if person_id in self.erased:
            raise RuleViolated(f"person {person_id} is erased already", field="person")
        self._erased(person_id=person_id, reason=require_text(reason, "reason", max_length=500))

    @event("PersonalDataErased")
    def _erased(self, person_id: UUID, reason: str) -> None:
        self.erased.add(person_id)
