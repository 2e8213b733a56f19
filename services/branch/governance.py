"""The shape of a compound's governance as the branch records it: which branch leads it (one at a
time), and the other bodies attached to the four (N-in-one: a supervisory committee 监委会, social
organisations)."""

from __future__ import annotations

from enum import Enum
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from services.common.aggregate import GovernanceAggregate
from services.common.errors import RuleViolated, require_choice, require_text


class AttachedKind(str, Enum):
    SUPERVISORY_COMMITTEE = "supervisory_committee"  # 监委会
    SOCIAL_ORGANISATION = "social_organisation"  # 社会组织
    VOLUNTEER_TEAM = "volunteer_team"  # 志愿服务队
    OTHER = "other"


class Governance(GovernanceAggregate):
    @staticmethod
    def create_id(compound_id: UUID) -> UUID:
        return uuid5(NAMESPACE_URL, f"siwei:governance:{compound_id}")

    @event("GovernanceOpened")
    def __init__(self, compound_id: UUID) -> None:
        self.branch_id: UUID | None = None
        self.branch_name = ""
        self.attached: set[tuple[str, str]] = set()

    def lead(self, branch_id: UUID, branch_name: str) -> None:
        if self.branch_id is not None:
            raise RuleViolated(f"the compound has an active party branch already: {self.branch_name}",
                               field="compoundId")
        self._led(branch_id=branch_id, branch_name=branch_name)

    @event("BranchLeadsCompound")
    def _led(self, branch_id: UUID, branch_name: str) -> None:
        self.branch_id = branch_id
        self.branch_name = branch_name

    def release(self, branch_id: UUID) -> None:
        if self.branch_id == branch_id:
            self._released(branch_id=branch_id)

    @event("BranchLeftCompound")
    def _released(self, branch_id: UUID) -> None:
        self.branch_id = None
        self.branch_name = ""

    def attach(self, kind: str, name: str) -> None:
        attached = (require_choice(AttachedKind, kind, "kind"), require_text(name, "name"))
        if attached in self.attached:
            raise RuleViolated(f"{attached[1]} is attached already", field="name")
        self._attached(kind=attached[0], name=attached[1])

    @event("BodyAttached")
    def _attached(self, kind: str, name: str) -> None:
        self.attached.add((kind, name))

    def detach(self, kind: str, name: str) -> None:
        attached = (require_choice(AttachedKind, kind, "kind"), require_text(name, "name"))
        if attached not in self.attached:
            raise RuleViolated(f"no {attached[0]} named {attached[1]} is attached", field="name")
        self._detached(kind=attached[0], name=attached[1])

    @event("BodyDetached")
    def _detached(self, kind: str, name: str) -> None:
        self.attached.discard((kind, name))
