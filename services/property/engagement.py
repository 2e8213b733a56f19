"""Which property company serves a compound (进驻 … 撤出), as the property side records it: at most
one at a time, on a basis: the developer's preliminary contract (前期物业), a contract with the
owners (选聘), or an interim arrangement by the street or community (应急托管) where nobody else
serves. A compound nobody serves has no property management."""

from __future__ import annotations

from datetime import date
from enum import Enum
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from services.common.aggregate import GovernanceAggregate
from services.common.context import today
from services.common.errors import RuleViolated, require_choice, require_date, require_text


class Basis(str, Enum):
    PRELIMINARY = "preliminary"  # 前期物业服务合同, signed by the developer
    OWNERS_CONTRACT = "owners_contract"  # hired by the owners' assembly
    INTERIM = "interim"  # 应急/兜底: arranged by the street or community


class Engagement(GovernanceAggregate):
    @staticmethod
    def create_id(compound_id: UUID) -> UUID:
        return uuid5(NAMESPACE_URL, f"siwei:property-engagement:{compound_id}")

    @event("EngagementOpened")
    def __init__(self, compound_id: UUID) -> None:
        self.company_id: UUID | None = None
        self.company_name = ""
        self.since: date | None = None

    def serving(self) -> bool:
        return self.company_id is not None

    def take_up(self, company_id: UUID, company_name: str, basis: str, since: date) -> None:
        if self.company_id is not None:
            raise RuleViolated(f"{self.company_name} serves the compound already: it hands over first")
        self._taken_up(company_id=company_id, company_name=company_name,
                       basis=require_choice(Basis, basis, "basis"),
                       since=require_date(since, "since", not_after=today()))

    @event("ServiceTakenUp")
    def _taken_up(self, company_id: UUID, company_name: str, basis: str, since: date) -> None:
        self.company_id, self.company_name, self.since = company_id, company_name, since

    def hand_over(self, until: date, reason: str) -> None:
        if self.company_id is None or self.since is None:
            raise RuleViolated("no property company serves the compound")
        self._handed_over(company_id=self.company_id,
                          until=require_date(until, "until", not_after=today(), not_before=self.since),
                          reason=require_text(reason, "reason", max_length=2000, multiline=True))

    @event("ServiceHandedOver")
    def _handed_over(self, company_id: UUID, until: date, reason: str) -> None:
        self.company_id, self.company_name, self.since = None, "", None
