"""A vote of the owners' assembly (业主大会表决) on one matter of Civil Code art. 278.

Opening a vote freezes, as data of its first event, the matter's majority and the electorate:
every unit with its owner key and exclusive area as they stand then. Registrations, transfers or
area corrections afterwards do not touch it. The owners' committee records each owner's ballot
(online or on paper) and returns a receipt; after closing, late paper ballots and recounts are
corrections recorded as events, each followed by the count they lead to. Nothing is overwritten.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from enum import Enum
from uuid import UUID, uuid4

from eventsourcing.domain import event

from services.common.aggregate import GovernanceAggregate
from services.common.context import today
from services.common.errors import (
    InvalidInput, RuleViolated, require_amount, require_choice, require_date, require_text,
)
from services.owners_committee.assembly import Choice, Count, Matter, count, majority_of
from services.owners_committee.exclusive_unit import ExclusiveUnit


class Channel(str, Enum):
    ONLINE = "online"
    PAPER = "paper"


class Correction(str, Enum):
    LATE_PAPER = "late_paper"  # a paper ballot that arrived after closing
    RECOUNT = "recount"  # a ballot read again and found to say otherwise


OPEN, CLOSED = "open", "closed"


def receipt_of(vote_id: UUID, ballot_id: UUID, owner: str, choice: str, area: Decimal) -> str:
    """The hash an owner keeps to check later that their ballot was counted as cast."""
    return hashlib.sha256(f"{vote_id}|{ballot_id}|{owner}|{choice}|{area}".encode()).hexdigest()


class AssemblyVote(GovernanceAggregate):
    @event("AssemblyVoteOpened")
    def __init__(
        self, compound_id: UUID, matter: str, majority: str, title: str, description: str,
        closes_on: date, amount: Decimal | None, company_id: UUID | None, candidates: list[str],
        units: list[str], unit_owners: list[str], unit_areas: list[Decimal],
    ) -> None:
        self.matter = matter
        self.title = title
        self.closes_on = closes_on
        self.amount = amount
        self.company_id = company_id
        self.candidates = candidates
        self.owner_of_unit = dict(zip(units, unit_owners, strict=True))
        self.areas: dict[str, Decimal] = {}
        for owner, area in zip(unit_owners, unit_areas, strict=True):
            self.areas[owner] = self.areas.get(owner, Decimal(0)) + area
        self.ballots: dict[str, str] = {}
        self.state = OPEN
        self.passed = False

    @classmethod
    def open(
        cls, *, compound_id: UUID, matter: str, title: str, description: str, closes_on: date,
        electorate: Sequence[ExclusiveUnit], amount: Decimal | str | None = None,
        company_id: UUID | None = None, candidates: Sequence[str] = (),
    ) -> AssemblyVote:
        matter = Matter(require_choice(Matter, matter, "matter"))
        if not electorate:
            raise RuleViolated("the compound has no registered exclusive units: no electorate to vote")
        require_date(closes_on, "closesOn", not_before=today())
        if matter in (Matter.USE_MAINTENANCE_FUND, Matter.RAISE_MAINTENANCE_FUND):
            if amount is None:
                raise InvalidInput(f"a vote to {matter.value} must name the amount", field="amount")
            amount = require_amount(amount, "amount")
        elif amount is not None:
            raise InvalidInput(f"a vote on {matter.value} names no amount", field="amount")
        needs_company = matter in (Matter.HIRE_PROPERTY_COMPANY, Matter.DISMISS_PROPERTY_COMPANY)
        if needs_company != (company_id is not None):
            raise InvalidInput("a vote to hire or dismiss names the property company, and only such a vote",
                               field="companyId")
        names = [require_text(c, "candidates", max_length=40) for c in candidates]
        if (matter is Matter.ELECT_COMMITTEE) != bool(names):
            raise InvalidInput("an election names its candidates, and only an election", field="candidates")
        return cls(
            compound_id=compound_id, matter=matter.value, majority=majority_of(matter).value,
            title=require_text(title, "title"),
            description=require_text(description, "description", max_length=4000, multiline=True),
            closes_on=closes_on, amount=amount, company_id=company_id, candidates=names,
            units=[u.label for u in electorate], unit_owners=[u.owner for u in electorate],
            unit_areas=[u.exclusive_area for u in electorate],
        )

    def owner_voting_for(self, unit: str) -> str:
        try:
            return self.owner_of_unit[unit]
        except KeyError:
            raise RuleViolated(f"unit {unit} is not in this vote's electorate (frozen when it opened)",
                               field="unit") from None

    def cast(self, unit: str, choice: str, channel: str) -> str:
        """Records the ballot of the owner of ``unit``; returns its receipt."""
        choice = require_choice(Choice, choice, "choice")
        channel = require_choice(Channel, channel, "channel")
        owner = self.owner_voting_for(unit)
        if self.state != OPEN:
            raise RuleViolated("the vote is closed: a late paper ballot is recorded as a correction")
        if today() > self.closes_on:
            raise RuleViolated(f"voting ended on {self.closes_on}: close the vote, then record "
                               "late paper ballots as corrections")
        if owner in self.ballots:
            raise RuleViolated("this owner has voted already: one ballot per owner, whatever their units")
        ballot_id = uuid4()
        receipt = receipt_of(self.id, ballot_id, owner, choice, self.areas[owner])
        self._cast(owner=owner, area=self.areas[owner], choice=choice, channel=channel,
                   ballot_id=ballot_id, receipt=receipt)
        return receipt

    @event("BallotCast")
    def _cast(self, owner: str, area: Decimal, choice: str, channel: str, ballot_id: UUID,
              receipt: str) -> None:
        self.ballots[owner] = choice

    def count(self) -> Count:
        return count(self.matter, self.areas, self.ballots)

    def close(self) -> Count:
        if self.state != OPEN:
            raise RuleViolated("the vote is closed already")
        if today() < self.closes_on and len(self.ballots) < len(self.areas):
            raise RuleViolated(f"voting runs until {self.closes_on} and not every owner has voted")
        self._closed()
        result = self.count()
        self._counted(occasion="closing", **result.fields())
        return result

    @event("AssemblyVoteClosed")
    def _closed(self) -> None:
        self.state = CLOSED

    def correct(self, unit: str, choice: str, kind: str, reason: str) -> Count:
        """A late paper ballot or a recount, after closing; the count follows it."""
        choice = require_choice(Choice, choice, "choice")
        kind = require_choice(Correction, kind, "kind")
        reason = require_text(reason, "reason", max_length=2000, multiline=True)
        owner = self.owner_voting_for(unit)
        if self.state != CLOSED:
            raise RuleViolated("corrections come after closing; until then the owner casts a ballot")
        if kind == Correction.LATE_PAPER.value and owner in self.ballots:
            raise RuleViolated("this owner's ballot was counted already; a second reading is a recount")
        if kind == Correction.RECOUNT.value and self.ballots.get(owner) in (None, choice):
            raise RuleViolated("a recount corrects a counted ballot to another choice")
        ballot_id = uuid4()
        receipt = receipt_of(self.id, ballot_id, owner, choice, self.areas[owner])
        self._corrected(owner=owner, area=self.areas[owner], choice=choice, kind=kind, reason=reason,
                        ballot_id=ballot_id, receipt=receipt)
        result = self.count()
        self._counted(occasion=kind, **result.fields())
        return result

    @event("BallotCorrected")
    def _corrected(self, owner: str, area: Decimal, choice: str, kind: str, reason: str,
                   ballot_id: UUID, receipt: str) -> None:
        self.ballots[owner] = choice

    @event("AssemblyVoteCounted")
    def _counted(
        self, occasion: str, majority: str, total_area: Decimal, total_owners: int,
        voted_area: Decimal, voted_owners: int, yes_area: Decimal, yes_owners: int,
        no_area: Decimal, no_owners: int, abstain_area: Decimal, abstain_owners: int,
        valid: bool, passed: bool, reason: str,
    ) -> None:
        self.passed = passed

    def require_passed(self, matter: Matter, compound_id: UUID) -> None:
        """Refuses unless this is a passed resolution of ``matter`` in that compound."""
        if self.compound_id != compound_id or self.matter != matter.value:
            raise RuleViolated(f"that vote is not a resolution to {matter.value} of this compound",
                               field="resolutionId")
        if self.state != CLOSED or not self.passed:
            raise RuleViolated(f"the owners' assembly has not passed that resolution to {matter.value}",
                               field="resolutionId")
