"""The residents' council (居民议事会) of a compound: its members as the residents' group records
them. A branch member's seat on it (交叉任职) is matched against these events."""

from __future__ import annotations

from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from services.common.aggregate import GovernanceAggregate
from services.common.context import today
from services.common.errors import RuleViolated, require_date, require_text


class Council(GovernanceAggregate):
    @staticmethod
    def create_id(compound_id: UUID) -> UUID:
        return uuid5(NAMESPACE_URL, f"siwei:residents-council:{compound_id}")

    @event("CouncilOpened")
    def __init__(self, compound_id: UUID) -> None:
        self.members: dict[str, str] = {}  # name → role, in the order they were seated

    def seat(self, name: str, role: str, joined_on: date) -> None:
        name = require_text(name, "name", max_length=80)
        if name in self.members:
            raise RuleViolated("a member of that name sits on the council already", field="name")
        self._seated(name=name, role=require_text(role, "role", max_length=40),
                     joined_on=require_date(joined_on, "joinedOn", not_after=today()))

    @event("CouncilMemberSeated")
    def _seated(self, name: str, role: str, joined_on: date) -> None:
        self.members[name] = role

    def unseat(self, name: str, left_on: date, reason: str) -> None:
        name = require_text(name, "name", max_length=80)
        if name not in self.members:
            raise RuleViolated("no member of that name sits on the council", field="name")
        self._unseated(name=name, left_on=require_date(left_on, "leftOn", not_after=today()),
                       reason=require_text(reason, "reason", max_length=2000, multiline=True))

    @event("CouncilMemberLeft")
    def _unseated(self, name: str, left_on: date, reason: str) -> None:
        self.members.pop(name, None)
