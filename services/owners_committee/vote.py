"""A vote of the owners' assembly (业主大会表决) on one matter of Civil Code art. 278.

Opening a vote freezes, as data of its first event, the matter's majority and the electorate:
every unit with its owner key and exclusive area as they stand then. Registrations, transfers or
area corrections afterwards do not touch it. The owners' committee records the delivery of each
owner's ballot (表决票送达: how, when, to whom) and each owner's ballot (online or on paper), and
returns a receipt. A vote closes on its closing date (or once every owner voted), and only once
every owner was reached or the notice period (``NOTICE_DAYS``) has run since it opened.

Closing publishes a *preliminary* count (初步统计结果公示) and opens an objection period of at
least ``MIN_OBJECTION_DAYS`` (询异公示): an owner objects about how their own ballot was counted;
the committee answers each objection, upholding it with a corrected ballot or rejecting it with a
reason; late paper ballots and recounts are corrections too, each followed by the count it leads
to. Once the period is over and every objection answered, the committee finalises the count: only
a final result founds a contract, an election, a dismissal or a fund use. Nothing is overwritten.

Only ballots cast are counted: an owner who did not vote is not counted with the majority,
whatever a compound's statute says (art. 278's participation thresholds are mandatory).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from enum import Enum
from uuid import UUID, uuid4

from eventsourcing.domain import event

from services.common.aggregate import GovernanceAggregate
from services.common.context import today
from services.common.errors import (
    InvalidInput, RuleViolated, require_amount, require_choice, require_count, require_date, require_text,
)
from services.owners_committee.assembly import Choice, Count, Matter, count, majority_of
from services.owners_committee.exclusive_unit import ExclusiveUnit


class Channel(str, Enum):
    ONLINE = "online"
    PAPER = "paper"


class Correction(str, Enum):
    LATE_PAPER = "late_paper"  # a paper ballot that arrived after closing
    RECOUNT = "recount"  # a ballot read again and found to say otherwise
    OBJECTION = "objection"  # an owner's objection upheld (only through answering it)


class Delivery(str, Enum):
    IN_PERSON = "in_person"  # 当面送达
    POST = "post"  # 邮寄
    ELECTRONIC = "electronic"  # 电子投票平台


class Stage(str, Enum):
    OPEN = "open"
    PRELIMINARY = "preliminary"  # counted and publicised; objections may be lodged
    FINAL = "final"


# 物业管理条例 art. 14: owners are notified of an assembly at least 15 days before it meets.
NOTICE_DAYS = 15
# The objection period after the preliminary count is publicised (询异公示): at least a week.
MIN_OBJECTION_DAYS, MAX_OBJECTION_DAYS = 7, 60


def receipt_of(vote_id: UUID, ballot_id: UUID, owner: str, choice: str, area: Decimal) -> str:
    """The hash an owner keeps to check later that their ballot was counted as cast."""
    return hashlib.sha256(f"{vote_id}|{ballot_id}|{owner}|{choice}|{area}".encode()).hexdigest()


class AssemblyVote(GovernanceAggregate):
    @event("AssemblyVoteOpened")
    def __init__(
        self, compound_id: UUID, matter: str, majority: str, title: str, description: str,
        closes_on: date, amount: Decimal | None, company_id: UUID | None, candidates: list[str],
        units: list[str], unit_owners: list[str], unit_areas: list[Decimal], notice_ends: date | None = None,
    ) -> None:
        self.matter = matter
        self.notice_ends = notice_ends
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
        self.reached: set[str] = set()
        self.objections: dict[int, dict] = {}  # number → owner, whether answered
        self.objections_end: date | None = None
        self.stage = Stage.OPEN
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
            unit_areas=[u.exclusive_area for u in electorate], notice_ends=today() + timedelta(days=NOTICE_DAYS),
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
        if self.stage is not Stage.OPEN:
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

    def deliver(self, unit: str, method: str, delivered_on: date, recipient: str) -> None:
        """Records that the ballot of the owner of ``unit`` was delivered (表决票送达)."""
        method = require_choice(Delivery, method, "method")
        owner = self.owner_voting_for(unit)
        if self.stage is not Stage.OPEN:
            raise RuleViolated("the vote is closed: ballots are delivered while it is open")
        self._delivered(owner=owner, unit=unit, method=method,
                        delivered_on=require_date(delivered_on, "deliveredOn", not_after=today()),
                        recipient=require_text(recipient, "recipient", max_length=80))

    @event("BallotDelivered")
    def _delivered(self, owner: str, unit: str, method: str, delivered_on: date, recipient: str) -> None:
        self.reached.add(owner)

    def unreached(self) -> int:
        """Owners whose ballot was neither delivered nor cast."""
        return sum(1 for owner in self.areas if owner not in self.reached and owner not in self.ballots)

    def count(self) -> Count:
        return count(self.matter, self.areas, self.ballots)

    def close(self, objection_days: int = MIN_OBJECTION_DAYS) -> Count:
        """Publishes the preliminary count and opens the objection period."""
        if self.stage is not Stage.OPEN:
            raise RuleViolated("the vote is closed already")
        if not MIN_OBJECTION_DAYS <= require_count(objection_days, "objectionDays") <= MAX_OBJECTION_DAYS:
            raise RuleViolated(f"the objection period runs {MIN_OBJECTION_DAYS} to {MAX_OBJECTION_DAYS} days",
                               field="objectionDays")
        if today() < self.closes_on and len(self.ballots) < len(self.areas):
            raise RuleViolated(f"voting runs until {self.closes_on} and not every owner has voted")
        unreached = self.unreached()
        if unreached and self.notice_ends is not None and today() < self.notice_ends:
            raise RuleViolated(f"{unreached} owners were not reached: record their ballots' delivery, or close "
                               f"once the {NOTICE_DAYS}-day notice has run, on {self.notice_ends}")
        self._closed(objections_end=today() + timedelta(days=objection_days), unreached_owners=unreached)
        result = self.count()
        self._counted(occasion="closing", **result.fields())
        return result

    @event("AssemblyVoteClosed")
    def _closed(self, objections_end: date | None = None, unreached_owners: int | None = None) -> None:
        # A vote closed before objection periods existed was final when it closed.
        self.objections_end = objections_end
        self.stage = Stage.FINAL if objections_end is None else Stage.PRELIMINARY

    def _require_preliminary(self, what: str) -> None:
        if self.stage is not Stage.PRELIMINARY:
            raise RuleViolated(f"{what} only while the count is preliminary; the vote is {self.stage.value}")

    def object(self, label: str, unit: str, objection: str) -> int:
        """The owner of the unit ``label`` (``unit`` within its building) objects about how their own
        ballot was counted, within the period."""
        owner = self.owner_voting_for(label)
        self._require_preliminary("objections are lodged")
        if today() > self.objections_end:
            raise RuleViolated(f"the objection period ended on {self.objections_end}")
        number = len(self.objections) + 1
        self._objection_lodged(number=number, owner=owner, unit=unit, lodged_on=today(),
                               objection=require_text(objection, "objection", max_length=4000, multiline=True))
        return number

    @event("VoteObjectionLodged")
    def _objection_lodged(self, number: int, owner: str, unit: str, lodged_on: date, objection: str) -> None:
        self.objections[number] = {"owner": owner, "answered": False}

    def answer(self, number: int, upheld: bool, reason: str, choice: str | None = None) -> None:
        """Upholds an objection with the owner's ballot as it should have been counted, or rejects it."""
        self._require_preliminary("objections are answered")
        found = self.objections.get(number)
        if found is None:
            raise InvalidInput(f"no objection number {number}", field="number")
        if found["answered"]:
            raise RuleViolated(f"objection {number} is answered already", field="number")
        reason = require_text(reason, "reason", max_length=2000, multiline=True)
        if not upheld:
            if choice is not None:
                raise InvalidInput("a rejected objection corrects no ballot", field="choice")
            self._objection_answered(number=number, upheld=False, reason=reason)
            return
        if choice is None:
            raise InvalidInput("an upheld objection names the choice to count", field="choice")
        choice = require_choice(Choice, choice, "choice")
        owner = found["owner"]
        if self.ballots.get(owner) == choice:
            raise RuleViolated(f"the count holds that owner's ballot as {choice} already", field="choice")
        self._objection_answered(number=number, upheld=True, reason=reason)
        self._correct(owner, choice, Correction.OBJECTION.value, f"objection {number} upheld: {reason}")

    @event("VoteObjectionAnswered")
    def _objection_answered(self, number: int, upheld: bool, reason: str) -> None:
        self.objections[number]["answered"] = True

    def finalise(self) -> Count:
        """The count becomes final once the objection period is over and every objection answered."""
        self._require_preliminary("the count is finalised")
        if today() <= self.objections_end:
            raise RuleViolated(f"objections may be lodged until {self.objections_end}")
        unanswered = [n for n, o in self.objections.items() if not o["answered"]]
        if unanswered:
            raise RuleViolated(f"objections {unanswered} are not answered yet")
        self._finalised(objections=len(self.objections))
        result = self.count()
        self._counted(occasion="final", **result.fields())
        return result

    @event("AssemblyVoteFinalised")
    def _finalised(self, objections: int) -> None:
        self.stage = Stage.FINAL

    def correct(self, unit: str, choice: str, kind: str, reason: str) -> Count:
        """A late paper ballot or a recount, after closing; the count follows it."""
        choice = require_choice(Choice, choice, "choice")
        kind = require_choice(Correction, kind, "kind")
        reason = require_text(reason, "reason", max_length=2000, multiline=True)
        owner = self.owner_voting_for(unit)
        if self.stage is Stage.OPEN:
            raise RuleViolated("corrections come after closing; until then the owner casts a ballot")
        self._require_preliminary("corrections are recorded")
        if kind == Correction.OBJECTION.value:
            raise RuleViolated("an objection is upheld by answering it", field="kind")
        if kind == Correction.LATE_PAPER.value and owner in self.ballots:
            raise RuleViolated("this owner's ballot was counted already; a second reading is a recount")
        if kind == Correction.RECOUNT.value and self.ballots.get(owner) in (None, choice):
            raise RuleViolated("a recount corrects a counted ballot to another choice")
        return self._correct(owner, choice, kind, reason)

    def _correct(self, owner: str, choice: str, kind: str, reason: str) -> Count:
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
        if self.stage is Stage.PRELIMINARY:
            raise RuleViolated(f"the result is preliminary until objections may no longer be lodged "
                               f"({self.objections_end}) and the committee finalises it", field="resolutionId")
        if self.stage is not Stage.FINAL or not self.passed:
            raise RuleViolated(f"the owners' assembly has not passed that resolution to {matter.value}",
                               field="resolutionId")
