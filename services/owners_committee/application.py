"""The owners' committee service: what the owners' committee records, for itself and for the
owners' assembly it convenes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import TypeVar
from uuid import UUID

from infra.settings import DEFAULT_DB_POOL
from services.common.application import BodyApplication, Receipt
from services.common.bodies import Body
from services.common.context import current_context
from services.common.errors import NotEntitled, NotFound, require_text
from services.common.personal import Kind, split_resident
from services.common.replies import Addressed, Replies, RepliesToBranch
from services.owners_committee.exclusive_unit import ExclusiveUnit, OwnersRoll
from services.owners_committee.resolutions import CommitteeTerm, FundUse, ServiceContracts
from services.owners_committee.vote import MIN_OBJECTION_DAYS, AssemblyVote

PerCompound = TypeVar("PerCompound", OwnersRoll, ServiceContracts, CommitteeTerm)


class OwnersCommitteeService(RepliesToBranch, BodyApplication):
    body = Body.OWNERS_COMMITTEE
    aggregates = (ExclusiveUnit, OwnersRoll, AssemblyVote, ServiceContracts, CommitteeTerm, FundUse, Replies)
    # A roll gains an event for every unit registered and is loaded for each: a snapshot every
    # hundred keeps each registration from replaying the compound's whole register.
    snapshotting_intervals = {OwnersRoll: 100}
    personal_data = {
        "ExclusiveUnitRegistered": {"unit": Kind.UNIT, "owner": Kind.NAME},
        "UnitOwnershipTransferred": {"owner": Kind.NAME},
        "AssemblyVoteOpened": {"units": Kind.UNIT, "unit_owners": Kind.NAME, "candidates": Kind.NAME},
        "BallotCast": {"owner": Kind.NAME},
        "BallotCorrected": {"owner": Kind.NAME},
        "BallotDelivered": {"owner": Kind.NAME, "unit": Kind.UNIT, "recipient": Kind.NAME},
        "VoteObjectionLodged": {"owner": Kind.NAME, "unit": Kind.UNIT, "objection": Kind.TEXT},
        "CommitteeElected": {"members": Kind.NAME},
        "FundDisbursed": {"units": Kind.UNIT, "owners": Kind.NAME},
    }

    def __init__(
        self, database_url: str | None = None, *, pool: int = DEFAULT_DB_POOL, compound_exists: Callable[[UUID], bool],
        company_name: Callable[[UUID], str], addressed: Callable[[UUID], Addressed],
    ) -> None:
        super().__init__(database_url, pool=pool)
        self._compound_exists = compound_exists
        self._company_name = company_name
        self._addressed = addressed

    def _per_compound(self, kind: type[PerCompound], compound_id: UUID) -> PerCompound:
        """The compound's one aggregate of that kind, opened on first use, once it is registered."""
        if not self._compound_exists(compound_id):
            raise NotFound(f"no compound with id {compound_id}", field="compoundId")
        return self.per_compound(kind, compound_id)

    # -- the register of owners (业主名册) -----------------------------------------------------------

    def register_exclusive_unit(
        self, *, compound_id: UUID, building: str, unit: str, exclusive_area: Decimal, owner: str
    ) -> Receipt:
        """Registers an exclusive unit (专有部分) and its owner in the compound's electorate."""
        roll = self._per_compound(OwnersRoll, compound_id)
        registered = ExclusiveUnit.register(
            compound_id=compound_id, building=building, unit=unit,
            exclusive_area=exclusive_area, owner=owner,
        )
        roll.enrol(registered)
        return self.record(registered, roll, conflict=f"unit {registered.label} is already registered")

    def unit(self, compound_id: UUID, building: str, unit: str) -> ExclusiveUnit:
        found = self.find(ExclusiveUnit, ExclusiveUnit.create_id(compound_id, building.strip(), unit.strip()))
        if found is None:
            raise NotFound(f"no unit {building}-{unit} registered in compound {compound_id}", field="unit")
        return found

    def transfer_unit(self, *, compound_id: UUID, building: str, unit: str, owner: str) -> Receipt:
        registered = self.unit(compound_id, building, unit)
        registered.transfer(owner)
        return self.record(registered, conflict="the unit changed meanwhile; try again")

    def correct_unit_area(self, *, compound_id: UUID, building: str, unit: str,
                          exclusive_area: Decimal, reason: str) -> Receipt:
        registered = self.unit(compound_id, building, unit)
        registered.correct_area(exclusive_area, reason)
        return self.record(registered, conflict="the unit changed meanwhile; try again")

    def owner_person(self, compound_id: UUID, owner: str) -> UUID:
        """The pseudonymous id of an owner, by the name registered."""
        self._per_compound(OwnersRoll, compound_id)
        person_id = self.personal_keys.person(compound_id, require_text(owner, "owner"))
        if person_id is None:
            raise NotFound(f"no owner of that name in compound {compound_id}'s records"
                           " (or erased already)", field="owner")
        return person_id

    def unit_of_household(self, compound_id: UUID, household: str) -> ExclusiveUnit:
        """The registered unit a household names: ``<building>-<unit>`` or ``<building><unit>``."""
        building, dash, unit = household.strip().partition("-")
        found = self.find(ExclusiveUnit, ExclusiveUnit.create_id(compound_id, building, unit)) if dash else None
        if found is None:
            found = next((u for u in self.electorate(compound_id)
                          if household.strip() in (u.label, u.building + u.unit)), None)
        if found is None:
            raise NotFound(f"no unit {household} in compound {compound_id}'s register of owners", field="household")
        return found

    def contract_in_force(self, compound_id: UUID) -> dict | None:
        """The compound's registered property service contract, unless terminated (its terms)."""
        contracts = self.find(ServiceContracts, ServiceContracts.create_id(compound_id))
        return None if contracts is None else contracts.active

    def electorate(self, compound_id: UUID) -> list[ExclusiveUnit]:
        roll = self._per_compound(OwnersRoll, compound_id)
        return [self.load(ExclusiveUnit, unit_id, "exclusive unit") for unit_id in roll.unit_ids]

    # -- votes of the owners' assembly (业主大会) ---------------------------------------------------

    def open_vote(self, *, compound_id: UUID, matter: str, title: str, description: str,
                  closes_on: date, amount: Decimal | None = None, company_id: UUID | None = None,
                  candidates: Sequence[str] = ()) -> Receipt:
        """Opens a vote of the assembly, freezing its electorate as the register stands now."""
        if company_id is not None:
            self._company_name(company_id)  # refuses an unknown company
        vote = AssemblyVote.open(
            compound_id=compound_id, matter=matter, title=title, description=description,
            closes_on=closes_on, electorate=self.electorate(compound_id), amount=amount,
            company_id=company_id, candidates=candidates)
        return self.record(vote, conflict="this vote is open already")

    def vote(self, compound_id: UUID, vote_id: UUID, field: str = "voteId") -> AssemblyVote:
        vote = self.load(AssemblyVote, vote_id, "vote of the owners' assembly")
        if vote.compound_id != compound_id:
            raise NotFound(f"no vote with id {vote_id} in compound {compound_id}", field=field)
        return vote

    def cast_ballot(self, *, compound_id: UUID, vote_id: UUID, building: str, unit: str, choice: str,
                    channel: str) -> tuple[Receipt, str]:
        """Records the ballot of the owner of a unit; answers with the owner's receipt."""
        vote = self.vote(compound_id, vote_id)
        receipt = vote.cast(f"{building.strip()}-{unit.strip()}", choice, channel)
        return self.record(vote, conflict="the vote changed meanwhile; try again"), receipt

    def deliver_ballot(self, *, compound_id: UUID, vote_id: UUID, building: str, unit: str, method: str,
                       delivered_on: date, recipient: str) -> Receipt:
        """Records the delivery of the ballot of a unit's owner (表决票送达)."""
        vote = self.vote(compound_id, vote_id)
        vote.deliver(f"{building.strip()}-{unit.strip()}", method, delivered_on, recipient)
        return self.record(vote, conflict="the vote changed meanwhile; try again")

    def close_vote(self, *, compound_id: UUID, vote_id: UUID, objection_days: int = MIN_OBJECTION_DAYS) -> Receipt:
        """Publishes the preliminary count and opens the objection period."""
        vote = self.vote(compound_id, vote_id)
        vote.close(objection_days)
        return self.record(vote, conflict="the vote changed meanwhile; try again")

    def lodge_vote_objection(self, *, compound_id: UUID, vote_id: UUID, building: str, unit: str,
                             objection: str) -> Receipt:
        """An owner, or the committee for the owner who brought it, objects about how the owner's own
        ballot was counted. A resident objects only about the unit they act for."""
        building, unit = building.strip(), unit.strip()
        resident = split_resident(current_context().actor)
        if resident is not None and resident[1] not in (unit, building + unit, f"{building}-{unit}"):
            raise NotEntitled("an owner objects about their own ballot only")
        vote = self.vote(compound_id, vote_id)
        vote.object(f"{building}-{unit}", unit, objection)
        return self.record(vote, conflict="the vote changed meanwhile; try again")

    def answer_vote_objection(self, *, compound_id: UUID, vote_id: UUID, number: int, upheld: bool,
                              reason: str, choice: str | None = None) -> Receipt:
        """Upholds an objection with the ballot as it should count (and the count follows), or rejects it."""
        vote = self.vote(compound_id, vote_id)
        vote.answer(number, upheld, reason, choice)
        return self.record(vote, conflict="the vote changed meanwhile; try again")

    def finalise_vote(self, *, compound_id: UUID, vote_id: UUID) -> Receipt:
        """Makes the count final, once the objection period is over and every objection answered."""
        vote = self.vote(compound_id, vote_id)
        vote.finalise()
        return self.record(vote, conflict="the vote changed meanwhile; try again")

    def correct_ballot(self, *, compound_id: UUID, vote_id: UUID, building: str, unit: str,
                       choice: str, kind: str, reason: str) -> Receipt:
        """A late paper ballot or a recount, recorded after closing; the count is published anew."""
        vote = self.vote(compound_id, vote_id)
        vote.correct(f"{building.strip()}-{unit.strip()}", choice, kind, reason)
        return self.record(vote, conflict="the vote changed meanwhile; try again")

    # -- what rests on a resolution ----------------------------------------------------------------

    def register_contract(self, *, compound_id: UUID, resolution_id: UUID, starts_on: date,
                          ends_on: date, fee_per_m2: Decimal) -> Receipt:
        """Registers the property service contract with the company a passed resolution hired."""
        contracts = self._per_compound(ServiceContracts, compound_id)
        resolution = self.vote(compound_id, resolution_id, "resolutionId")
        company = self._company_name(resolution.company_id) if resolution.company_id else ""
        contracts.register(resolution, company, starts_on, ends_on, fee_per_m2)
        return self.record(contracts, conflict="the contracts changed meanwhile; try again")

    def dismiss_company(self, *, compound_id: UUID, resolution_id: UUID, ends_on: date,
                        reason: str) -> Receipt:
        """Ends the active contract on a passed resolution dismissing its company (解聘)."""
        contracts = self._per_compound(ServiceContracts, compound_id)
        contracts.terminate(self.vote(compound_id, resolution_id, "resolutionId"), ends_on, reason)
        return self.record(contracts, conflict="the contracts changed meanwhile; try again")

    def record_committee_election(self, *, compound_id: UUID, resolution_id: UUID, term_starts: date,
                                  term_ends: date) -> Receipt:
        committee = self._per_compound(CommitteeTerm, compound_id)
        committee.elect(self.vote(compound_id, resolution_id, "resolutionId"), term_starts, term_ends)
        return self.record(committee, conflict="the committee changed meanwhile; try again")

    def dissolve_committee(self, *, compound_id: UUID, dissolved_on: date, reason: str) -> Receipt:
        """The committee ceases before its term ends; the compound has none until the next election."""
        committee = self._per_compound(CommitteeTerm, compound_id)
        committee.dissolve(dissolved_on, reason)
        return self.record(committee, conflict="the committee changed meanwhile; try again")

    def in_office(self, compound_id: UUID) -> bool:
        """Whether the compound has an owners' committee in office."""
        committee = self.find(CommitteeTerm, CommitteeTerm.create_id(compound_id))
        return committee is not None and committee.in_office()

    def authorise_fund_use(self, *, compound_id: UUID, resolution_id: UUID, purpose: str) -> Receipt:
        """Authorises maintenance-fund spending up to what a passed resolution to use it names."""
        use = FundUse.authorise(resolution=self.vote(compound_id, resolution_id, "resolutionId"),
                                compound_id=compound_id, purpose=purpose)
        return self.record(use, conflict="spending on that resolution is authorised already")

    def disburse_fund(self, *, compound_id: UUID, resolution_id: UUID, amount: Decimal, payee: str,
                      paid_on: date, borne_by: Sequence[str] = ()) -> Receipt:
        """Pays out of authorised fund spending; the owners of the buildings ``borne_by`` names (of
        the whole compound if none) share it by exclusive area."""
        use = self.find(FundUse, FundUse.create_id(resolution_id))
        if use is None:
            raise NotFound("no fund spending is authorised on that resolution", field="resolutionId")
        if use.compound_id != compound_id:
            raise NotFound(f"no fund spending on that resolution in compound {compound_id}",
                           field="resolutionId")
        use.disburse(amount, payee, paid_on, borne_by, self.electorate(compound_id))
        return self.record(use, conflict="the fund changed meanwhile; try again")
