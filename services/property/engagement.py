"""Which property company serves a compound (进驻 … 撤出), as the property side records it: at most
one at a time, on a basis: the developer's preliminary contract (前期物业), a contract with the
owners (选聘), or an interim arrangement by the street or community (应急托管) where nobody else
serves. A compound nobody serves has no property management."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from services.common.aggregate import GovernanceAggregate
from services.common.context import today
from services.common.errors import (
    InvalidInput, RuleViolated, require_choice, require_date, require_decimal, require_text,
)

MAX_FEE_PER_M2 = Decimal("1000")


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
        self.basis = ""
        self.since: date | None = None
        self.fee_per_m2: Decimal | None = None

    def serving(self) -> bool:
        return self.company_id is not None

    def fee_basis(self, period_start: date, period_end: date, contract: dict | None) -> Decimal:
        """The fee per m² a month the serving company bills a period at, or why it may not bill it.
        ``contract``: the compound's registered service contract with the owners, if any is in force."""
        if self.company_id is None or self.since is None:
            raise RuleViolated("no property company serves the compound: nobody bills it")
        if self.since > period_end:
            raise RuleViolated(f"{self.company_name} serves the compound since {self.since}, after the period")
        if self.basis != Basis.OWNERS_CONTRACT.value:
            if self.fee_per_m2 is None:
                raise RuleViolated(f"{self.company_name} serves on a {self.basis} basis that declared no fee per m²: "
                                   "it bills nothing until a contract or a declared basis sets one")
            return self.fee_per_m2
        if contract is None or contract["company_id"] != self.company_id:
            raise RuleViolated(f"{self.company_name} serves on the owners' contract, but no registered service "
                               "contract with it is in force: it bills nothing without one")
        if contract["starts_on"] > period_end or contract["ends_on"] < period_start:
            raise RuleViolated(f"the service contract runs {contract['starts_on']} to {contract['ends_on']}: "
                               "it does not cover the period")
        return contract["fee_per_m2"]

    def take_up(self, company_id: UUID, company_name: str, basis: str, since: date,
                fee_per_m2: Decimal | str | None = None) -> None:
        """``fee_per_m2``: on a preliminary or interim basis, the fee it sets, yuan per m² a month;
        on the owners' contract, none (the registered contract sets it)."""
        if self.company_id is not None:
            raise RuleViolated(f"{self.company_name} serves the compound already: it hands over first")
        basis = require_choice(Basis, basis, "basis")
        if fee_per_m2 is not None:
            if basis == Basis.OWNERS_CONTRACT.value:
                raise InvalidInput("on the owners' contract the registered contract sets the fee", field="feePerM2")
            fee_per_m2 = require_decimal(fee_per_m2, "feePerM2", unit="yuan/m²", maximum=MAX_FEE_PER_M2)
        self._taken_up(company_id=company_id, company_name=company_name, basis=basis,
                       since=require_date(since, "since", not_after=today()), fee_per_m2=fee_per_m2)

    @event("ServiceTakenUp")
    def _taken_up(self, company_id: UUID, company_name: str, basis: str, since: date,
                  fee_per_m2: Decimal | None = None) -> None:
        self.company_id, self.company_name, self.since = company_id, company_name, since
        self.basis, self.fee_per_m2 = basis, fee_per_m2

    def declare_fee(self, fee_per_m2: Decimal | str, since: date) -> None:
        """The fee a preliminary or interim basis sets (物业服务收费标准), declared or changed while the
        company serves; on the owners' contract the registered contract sets it."""
        if self.company_id is None or self.since is None:
            raise RuleViolated("no property company serves the compound")
        if self.basis == Basis.OWNERS_CONTRACT.value:
            raise RuleViolated("on the owners' contract the registered contract sets the fee")
        self._fee_declared(fee_per_m2=require_decimal(fee_per_m2, "feePerM2", unit="yuan/m²", maximum=MAX_FEE_PER_M2),
                           since=require_date(since, "since", not_after=today(), not_before=self.since))

    @event("ServiceFeeDeclared")
    def _fee_declared(self, fee_per_m2: Decimal, since: date) -> None:
        self.fee_per_m2 = fee_per_m2

    def hand_over(self, until: date, reason: str) -> None:
        if self.company_id is None or self.since is None:
            raise RuleViolated("no property company serves the compound")
        self._handed_over(company_id=self.company_id,
                          until=require_date(until, "until", not_after=today(), not_before=self.since),
                          reason=require_text(reason, "reason", max_length=2000, multiline=True))

    @event("ServiceHandedOver")
    def _handed_over(self, company_id: UUID, until: date, reason: str) -> None:
        self.company_id, self.company_name, self.since = None, "", None
        self.basis, self.fee_per_m2 = "", None
