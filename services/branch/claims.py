"""Project claims (认领, Luohu: 6 kinds of organisations, 62 of them, claimed 72 projects and solved
68): the branch publishes a need or small project as claimable; a registered social organisation
or business claims it and reports it solved. The organisations come to the branch, which records
their steps. The six kinds are illustrative: the report counts them but does not name them."""

from __future__ import annotations

from enum import Enum
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from services.common.aggregate import GovernanceAggregate
from services.common.errors import RuleViolated, require_choice, require_text


class OrganisationKind(str, Enum):
    SOCIAL_ORGANISATION = "social_organisation"  # 社会组织
    BUSINESS = "business"  # 商家企业
    RESIDENT_UNIT = "resident_unit"  # 驻区单位
    UNIT_PARTY_ORGANISATION = "unit_party_organisation"  # 单位党组织 (联建)
    VOLUNTEER_GROUP = "volunteer_group"  # 志愿团队
    OTHER = "other"


class ClaimableKind(str, Enum):
    NEED = "need"  # 需求
    PROJECT = "project"  # 项目


class Organisation(GovernanceAggregate):
    """A social organisation or business registered with a compound's branch to claim."""

    @staticmethod
    def create_id(compound_id: UUID, name: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"siwei:branch:organisation:{compound_id}:{name}")

    @event("OrganisationRegistered")
    def __init__(self, compound_id: UUID, name: str, kind: str) -> None:
        self.name = name
        self.kind = kind

    @classmethod
    def register(cls, *, compound_id: UUID, name: str, kind: str) -> Organisation:
        return cls(compound_id=compound_id, name=require_text(name, "name"),
                   kind=require_choice(OrganisationKind, kind, "kind"))


PUBLISHED, CLAIMED, SOLVED = "published", "claimed", "solved"


class Claimable(GovernanceAggregate):
    """A need or small project the branch published for others to claim."""

    @event("ClaimablePublished")
    def __init__(self, compound_id: UUID, title: str, description: str, kind: str) -> None:
        self.state = PUBLISHED

    @classmethod
    def publish(cls, *, compound_id: UUID, title: str, description: str, kind: str) -> Claimable:
        return cls(compound_id=compound_id, title=require_text(title, "title"),
                   description=require_text(description, "description", max_length=2000, multiline=True),
                   kind=require_choice(ClaimableKind, kind, "kind"))

    def claim(self, organisation: Organisation) -> None:
        if organisation.compound_id != self.compound_id:
            raise RuleViolated("the organisation is registered with another compound")
        if self.state != PUBLISHED:
            raise RuleViolated(f"it is {self.state} already: one organisation claims it")
        self._claimed(organisation_id=organisation.id, organisation=organisation.name,
                      organisation_kind=organisation.kind)

    @event("ClaimTaken")
    def _claimed(self, organisation_id: UUID, organisation: str, organisation_kind: str) -> None:
        self.state = CLAIMED

    def report_solved(self, report: str) -> None:
        if self.state != CLAIMED:
            raise RuleViolated(f"it is {self.state}: only a claimed item can be reported solved")
        self._solved(report=require_text(report, "report", max_length=2000, multiline=True))

    @event("ClaimSolved")
    def _solved(self, report: str) -> None:
        self.state = SOLVED
