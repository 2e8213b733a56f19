"""What rests on a final, passed resolution of the owners' assembly: the property service contract,
the owners' committee's term, and the spending of maintenance funds. Each is refused without one.

A disbursement of maintenance funds is borne by the owners of the whole compound, or of the
buildings it names (the units the works serve); each unit's share follows its exclusive area among
theirs (《住宅专项维修资金管理办法》 art. 22: 按照各业主拥有物业建筑面积的比例分摊), as an exact
fraction rounded by ``shares_of`` so that the shares add up to the amount to the fen."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.domain import event

from services.common.aggregate import GovernanceAggregate
from services.common.context import today
from services.common.errors import (
    InvalidInput, RuleViolated, require_amount, require_date, require_decimal, require_text,
)
from services.owners_committee.assembly import Matter
from services.owners_committee.exclusive_unit import ExclusiveUnit
from services.owners_committee.vote import AssemblyVote

MAX_FEE_PER_M2 = Decimal("1000")
MAX_TERM_DAYS = 5 * 366  # 业主委员会 terms run up to five years
MAX_BUILDINGS = 500  # buildings one disbursement may name


class ServiceContracts(GovernanceAggregate):
    """A compound's property service contracts (物业服务合同), signed by the owners' committee with
    the company the assembly hired. At most one is active at a time."""

    @staticmethod
    def create_id(compound_id: UUID) -> UUID:
        return uuid5(NAMESPACE_URL, f"siwei:service-contracts:{compound_id}")

    @event("ServiceContractsOpened")
    def __init__(self, compound_id: UUID) -> None:
        self.active: dict | None = None
        self.resolutions_used: set[UUID] = set()

    def active_contract(self) -> dict | None:
        if self.active is not None and self.active["ends_on"] >= today():
            return self.active
        return None

    def register(self, resolution: AssemblyVote, company_name: str, starts_on: date, ends_on: date,
                 fee_per_m2: Decimal | str) -> UUID:
        resolution.require_passed(Matter.HIRE_PROPERTY_COMPANY, self.compound_id)
        if resolution.id in self.resolutions_used:
            raise RuleViolated("a contract was registered on that resolution already", field="resolutionId")
        current = self.active_contract()
        if current is not None:
            raise RuleViolated(f"the compound has an active contract with {current['company_name']} "
                               f"until {current['ends_on']}: one at a time")
        require_date(ends_on, "endsOn", after=require_date(starts_on, "startsOn"))
        contract_id = uuid4()
        self._registered(
            contract_id=contract_id, resolution_id=resolution.id, company_id=resolution.company_id,
            company_name=company_name, starts_on=starts_on, ends_on=ends_on,
            fee_per_m2=require_decimal(fee_per_m2, "feePerM2", unit="yuan/m²", maximum=MAX_FEE_PER_M2))
        return contract_id

    @event("ServiceContractRegistered")
    def _registered(self, contract_id: UUID, resolution_id: UUID, company_id: UUID, company_name: str,
                    starts_on: date, ends_on: date, fee_per_m2: Decimal) -> None:
        self.resolutions_used.add(resolution_id)
        self.active = {"contract_id": contract_id, "company_id": company_id, "company_name": company_name,
                       "starts_on": starts_on, "ends_on": ends_on, "fee_per_m2": fee_per_m2}

    def terminate(self, resolution: AssemblyVote, ends_on: date, reason: str) -> None:
        """解聘: the contract ends early, on a passed dismissal of that company."""
        resolution.require_passed(Matter.DISMISS_PROPERTY_COMPANY, self.compound_id)
        current = self.active_contract()
        if current is None:
            raise RuleViolated("the compound has no active property service contract")
        if resolution.company_id != current["company_id"]:
            raise RuleViolated("that resolution dismisses another company", field="resolutionId")
        if resolution.id in self.resolutions_used:
            raise RuleViolated("that resolution was acted on already", field="resolutionId")
        self._terminated(contract_id=current["contract_id"], resolution_id=resolution.id,
                         ends_on=require_date(ends_on, "endsOn"), reason=require_text(reason, "reason"))

    @event("ServiceContractTerminated")
    def _terminated(self, contract_id: UUID, resolution_id: UUID, ends_on: date, reason: str) -> None:
        self.resolutions_used.add(resolution_id)
        self.active = None


class CommitteeTerm(GovernanceAggregate):
    """The owners' committee of a compound: elected by the assembly, its members, its term."""

    @staticmethod
    def create_id(compound_id: UUID) -> UUID:
        return uuid5(NAMESPACE_URL, f"siwei:owners-committee:{compound_id}")

    @event("CommitteeTermsOpened")
    def __init__(self, compound_id: UUID) -> None:
        self.resolutions_used: set[UUID] = set()
        self.term_ends: date | None = None
        self.dissolved = False

    def in_office(self) -> bool:
        """Elected, not dissolved, and within its term."""
        return self.term_ends is not None and not self.dissolved and self.term_ends >= today()

    def elect(self, resolution: AssemblyVote, term_starts: date, term_ends: date) -> None:
        resolution.require_passed(Matter.ELECT_COMMITTEE, self.compound_id)
        if resolution.id in self.resolutions_used:
            raise RuleViolated("that election is recorded already", field="resolutionId")
        require_date(term_ends, "termEnds", after=require_date(term_starts, "termStarts"))
        if (term_ends - term_starts).days > MAX_TERM_DAYS:
            raise RuleViolated("a committee's term is at most five years", field="termEnds")
        self._elected(resolution_id=resolution.id, members=list(resolution.candidates),
                      term_starts=term_starts, term_ends=term_ends)

    @event("CommitteeElected")
    def _elected(self, resolution_id: UUID, members: list[str], term_starts: date, term_ends: date) -> None:
        self.resolutions_used.add(resolution_id)
        self.term_ends = term_ends
        self.dissolved = False

    def dissolve(self, dissolved_on: date, reason: str) -> None:
        """The committee ceases before its term ends (e.g. its members resigned, 解散)."""
        if not self.in_office():
            raise RuleViolated("the compound has no owners' committee in office")
        self._dissolved(dissolved_on=require_date(dissolved_on, "dissolvedOn", not_after=today()),
                        reason=require_text(reason, "reason", max_length=2000, multiline=True))

    @event("CommitteeDissolved")
    def _dissolved(self, dissolved_on: date, reason: str) -> None:
        self.dissolved = True


def shares_of(amount: Decimal, areas: Sequence[Decimal]) -> list[Decimal]:
    """Each area's share of ``amount`` in proportion to it, in yuan to the fen, adding up to it.

    The rule (declared here, for every compound): each exact share is rounded down to the fen, and
    the fen left over go one each to the shares that lost the most by rounding, the earlier unit
    of the register first when two lost as much (largest remainder)."""
    fen, total = int(amount * 100), Fraction(sum(areas, Decimal(0)))
    exact = [Fraction(fen) * Fraction(area) / total for area in areas]
    floors = [math.floor(share) for share in exact]
    by_loss = sorted(range(len(exact)), key=lambda i: (floors[i] - exact[i], i))
    for i in by_loss[:fen - sum(floors)]:
        floors[i] += 1
    return [Decimal(share).scaleb(-2) for share in floors]


class FundUse(GovernanceAggregate):
    """Maintenance-fund spending authorised by one passed resolution to use the fund, up to the
    amount it names, and the disbursements made against it."""

    @staticmethod
    def create_id(resolution_id: UUID) -> UUID:
        return uuid5(NAMESPACE_URL, f"siwei:fund-use:{resolution_id}")

    @event("FundUseAuthorised")
    def __init__(self, compound_id: UUID, resolution_id: UUID, amount: Decimal, purpose: str) -> None:
        self.amount = amount
        self.disbursed = Decimal(0)

    @classmethod
    def authorise(cls, *, resolution: AssemblyVote, compound_id: UUID, purpose: str) -> FundUse:
        resolution.require_passed(Matter.USE_MAINTENANCE_FUND, compound_id)
        return cls(compound_id=compound_id, resolution_id=resolution.id, amount=resolution.amount,
                   purpose=require_text(purpose, "purpose", max_length=2000, multiline=True))

    def disburse(self, amount: Decimal | str, payee: str, paid_on: date, borne_by: Sequence[str],
                 register: Sequence[ExclusiveUnit]) -> None:
        """Pays ``amount`` out, shared among the units of the buildings ``borne_by`` names (of the
        whole compound if it names none) as the ``register`` stands now."""
        amount = require_amount(amount, "amount")
        remaining = self.amount - self.disbursed
        if amount > remaining:
            raise RuleViolated(f"only ¥{remaining} of the ¥{self.amount} authorised remains", field="amount")
        if len(borne_by) > MAX_BUILDINGS:
            raise InvalidInput(f"a disbursement names at most {MAX_BUILDINGS} buildings", field="borneBy")
        buildings = list(dict.fromkeys(require_text(b, "borneBy", max_length=40) for b in borne_by))
        bearing = [u for u in register if not buildings or u.building in buildings]
        for building in buildings:
            if not any(u.building == building for u in bearing):
                raise InvalidInput(f"no unit of building {building} is registered", field="borneBy")
        if not bearing:
            raise RuleViolated("the compound has no registered exclusive units to share the cost")
        self._disbursed(amount=amount, payee=require_text(payee, "payee"),
                        paid_on=require_date(paid_on, "paidOn", not_after=today()), borne_by=buildings,
                        buildings=[u.building for u in bearing], units=[u.unit for u in bearing],
                        owners=[u.owner for u in bearing], areas=[u.exclusive_area for u in bearing],
                        shares=shares_of(amount, [u.exclusive_area for u in bearing]))

    @event("FundDisbursed")
    def _disbursed(self, amount: Decimal, payee: str, paid_on: date, borne_by: list[str] | None = None,
                   buildings: list[str] | None = None, units: list[str] | None = None,
                   owners: list[str] | None = None, areas: list[Decimal] | None = None,
                   shares: list[Decimal] | None = None) -> None:
        # Disbursements recorded before shares existed name none.
        self.disbursed += amount
