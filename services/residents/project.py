"""A project of the residents' council (Chengdu Beiyuan back gate): deliberated in meetings, a plan
with its budget and funding, publicised for a notice period (公示) in which objections are lodged
and answered, put to the council, compared bids (比选), works inspected by the volunteer
supervision team (义务监督队), accepted, and settled against the budget.

Dates on paper (a meeting, the notice, the council's vote, the works) are given, not taken from the
clock: the council records them, in order, never in the future.

The council votes member by member. Opening a vote (on the plan, or on an amendment to its budget)
freezes the council as it is seated then; the council's secretary records each seated member's
vote (yes, no, abstain, absent), and closing it counts them: the matter passes only with at least
2/3 of all the frozen seats voting yes, not of those present. A member seated after the opening
does not vote on it.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from enum import Enum
from fractions import Fraction
from uuid import UUID

from eventsourcing.domain import event

from services.common.aggregate import GovernanceAggregate
from services.common.context import today
from services.common.errors import (
    InvalidInput, RuleViolated, require_amount, require_choice, require_count, require_date, require_text,
)

MIN_NOTICE_DAYS = 7  # 公示: at least a week, declared here for every compound
COUNCIL_MAJORITY = Fraction(2, 3)


class Proposer(str, Enum):
    RESIDENTS_COUNCIL = "residents_council"
    BRANCH = "branch"


class Funding(str, Enum):
    MAINTENANCE_FUND = "maintenance_fund"  # 维修资金
    SELF_RAISED = "self_raised"  # 自筹, per-household contributions
    CROWDFUNDED = "crowdfunded"  # 众筹
    GOVERNMENT_FUND = "government_fund"  # 政府专项资金
    PROPERTY_COMPANY = "property_company"


class AttendingBody(str, Enum):
    BRANCH = "branch"
    RESIDENTS_COUNCIL = "residents_council"
    OWNERS_COMMITTEE = "owners_committee"
    PROPERTY = "property"
    COMMUNITY = "community"  # the community residents' committee
    CONTRACTOR = "contractor"
    RESIDENT = "resident"


class State(str, Enum):
    PROPOSED = "proposed"
    DELIBERATING = "deliberating"
    PLANNED = "planned"
    PUBLICISED = "publicised"
    APPROVED = "approved"
    REJECTED = "rejected"
    CONTRACTED = "contracted"
    IN_WORKS = "in_works"
    COMPLETED = "completed"
    ACCEPTED = "accepted"
    SETTLED = "settled"
    WITHDRAWN = "withdrawn"


S = State


class Subject(str, Enum):
    PLAN = "plan"
    BUDGET_AMENDMENT = "budget_amendment"


class MemberVote(str, Enum):
    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"
    ABSENT = "absent"


def council_passes(seats: int, yes: int) -> bool:
    """At least 2/3 of ALL the council's seats voted yes (not 2/3 of those present)."""
    return seats > 0 and Fraction(yes, seats) >= COUNCIL_MAJORITY


AMENDABLE = (S.APPROVED, S.CONTRACTED, S.IN_WORKS, S.COMPLETED, S.ACCEPTED)


class Project(GovernanceAggregate):
    @event("ProjectProposed")
    def __init__(self, compound_id: UUID, title: str, description: str, proposed_by: str) -> None:
        self.state = S.PROPOSED
        self.last_date: date | None = None  # the latest date on paper so far
        self.meetings = 0
        self.budget = Decimal(0)
        self.notice_ends: date | None = None
        self.objections: dict[int, bool] = {}  # number → answered
        self.bids: dict[int, Decimal] = {}
        self.council_vote: dict | None = None  # the open vote: subject, seats, each member's vote
        self.council_votes = 0

    @classmethod
    def propose(cls, *, compound_id: UUID, title: str, description: str, proposed_by: str) -> Project:
        return cls(compound_id=compound_id, title=require_text(title, "title"),
                   description=require_text(description, "description", max_length=4000, multiline=True),
                   proposed_by=require_choice(Proposer, proposed_by, "proposedBy"))

    def _require(self, step: str, *states: State) -> None:
        if self.state not in states:
            allowed = " or ".join(s.value for s in states)
            raise RuleViolated(f"the project is {self.state.value}: {step} only when it is {allowed}")

    def _dated(self, value: date, field: str) -> date:
        """A date on paper: not in the future, not before the project's previous one."""
        return require_date(value, field, not_after=today(), not_before=self.last_date)

    def hold_meeting(self, held_on: date, attendees: list[str], bodies: list[str], minutes: str) -> None:
        self._require("meetings are held", S.PROPOSED, S.DELIBERATING, S.PLANNED, S.REJECTED)
        if not attendees or len(attendees) != len(bodies):
            raise InvalidInput("each attendee needs the body they came for", field="attendees")
        self._meeting_held(
            held_on=self._dated(held_on, "heldOn"),
            attendees=[require_text(a, "attendees", max_length=80) for a in attendees],
            bodies=[require_choice(AttendingBody, b, "bodies") for b in bodies],
            minutes=require_text(minutes, "minutes", max_length=8000, multiline=True))

    @event("ProjectMeetingHeld")
    def _meeting_held(self, held_on: date, attendees: list[str], bodies: list[str], minutes: str) -> None:
        self.meetings += 1
        self.last_date = held_on
        if self.state is S.PROPOSED:
            self.state = S.DELIBERATING

    def draft_plan(self, content: str, budget: Decimal | str, funding: str,
                   contributing_households: int = 0, contribution_per_household: Decimal | str = 0) -> None:
        self._require("a plan is drafted", S.DELIBERATING, S.PLANNED, S.REJECTED)
        funding = require_choice(Funding, funding, "funding")
        households = require_count(contributing_households, "contributingHouseholds")
        per_household = require_amount(contribution_per_household, "contributionPerHousehold", zero=True)
        if funding == Funding.SELF_RAISED.value and not (households and per_household):
            raise InvalidInput("a self-raised plan names the contributing households and what each gives",
                               field="contributingHouseholds")
        self._plan_drafted(content=require_text(content, "content", max_length=8000, multiline=True),
                           budget=require_amount(budget, "budget"), funding=funding,
                           contributing_households=households,
                           contribution_per_household=per_household)

    @event("ProjectPlanDrafted")
    def _plan_drafted(self, content: str, budget: Decimal, funding: str, contributing_households: int,
                      contribution_per_household: Decimal) -> None:
        self.budget = budget
        self.state = S.PLANNED

    def publicise(self, posted_on: date, days: int) -> None:
        self._require("the plan is publicised", S.PLANNED)
        if require_count(days, "days") < MIN_NOTICE_DAYS:
            raise RuleViolated(f"a notice runs at least {MIN_NOTICE_DAYS} days", field="days")
        posted_on = self._dated(posted_on, "postedOn")
        self._publicised(posted_on=posted_on, days=days, ends_on=posted_on + timedelta(days=days - 1))

    @event("ProjectPublicised")
    def _publicised(self, posted_on: date, days: int, ends_on: date) -> None:
        self.last_date = posted_on
        self.notice_ends = ends_on
        self.objections = {}
        self.state = S.PUBLICISED

    def lodge_objection(self, lodged_on: date, objection: str) -> int:
        self._require("objections are lodged", S.PUBLICISED)
        lodged_on = self._dated(lodged_on, "lodgedOn")
        if lodged_on > self.notice_ends:
            raise RuleViolated(f"the notice period ended on {self.notice_ends}", field="lodgedOn")
        number = len(self.objections) + 1
        self._objection_lodged(number=number, lodged_on=lodged_on,
                               objection=require_text(objection, "objection", max_length=4000, multiline=True))
        return number

    @event("ProjectObjectionLodged")
    def _objection_lodged(self, number: int, lodged_on: date, objection: str) -> None:
        self.objections[number] = False

    def answer_objection(self, number: int, answer: str) -> None:
        self._require("objections are answered", S.PUBLICISED)
        if number not in self.objections:
            raise InvalidInput(f"no objection number {number}", field="number")
        if self.objections[number]:
            raise RuleViolated(f"objection {number} is answered already", field="number")
        self._objection_answered(number=number, answer=require_text(answer, "answer", max_length=4000, multiline=True))

    @event("ProjectObjectionAnswered")
    def _objection_answered(self, number: int, answer: str) -> None:
        self.objections[number] = True

    def open_council_vote(self, subject: str, opened_on: date, seats: list[str],
                          budget: Decimal | str | None = None, reason: str = "") -> int:
        """Opens the council's vote on the plan or on a budget amendment, freezing its seats."""
        subject = Subject(require_choice(Subject, subject, "subject"))
        if self.council_vote is not None:
            raise RuleViolated(f"council vote {self.council_votes} on the project is open: close it first")
        opened_on = self._dated(opened_on, "openedOn")
        if subject is Subject.PLAN:
            self._require("the council votes on the plan", S.PUBLICISED)
            if opened_on <= self.notice_ends:
                raise RuleViolated(f"the notice period runs until {self.notice_ends}: no vote before it ends",
                                   field="openedOn")
            unanswered = [n for n, answered in self.objections.items() if not answered]
            if unanswered:
                raise RuleViolated(f"objections {unanswered} are not answered yet")
            if budget is not None or reason:
                raise InvalidInput("a vote on the plan names no new budget or reason", field="budget")
            budget, reason = None, ""
        else:
            self._require("the budget is amended", *AMENDABLE)
            if budget is None:
                raise InvalidInput("an amendment names the new budget", field="budget")
            budget = require_amount(budget, "budget")
            reason = require_text(reason, "reason", max_length=2000, multiline=True)
        if not seats:
            raise RuleViolated("nobody sits on the council: seat its members first")
        number = self.council_votes + 1
        self._council_vote_opened(number=number, subject=subject.value, opened_on=opened_on, seats=list(seats),
                                  budget=budget, reason=reason)
        return number

    @event("ProjectCouncilVoteOpened")
    def _council_vote_opened(self, number: int, subject: str, opened_on: date, seats: list[str],
                             budget: Decimal | None, reason: str) -> None:
        self.last_date = opened_on
        self.council_votes = number
        self.council_vote = {"subject": subject, "budget": budget, "reason": reason,
                             "votes": dict.fromkeys(seats)}

    def record_member_vote(self, member: str, vote: str) -> None:
        """The council's secretary records how one seated member voted."""
        vote = require_choice(MemberVote, vote, "vote")
        member = require_text(member, "member", max_length=80)
        if self.council_vote is None:
            raise RuleViolated("no council vote on the project is open")
        votes = self.council_vote["votes"]
        if member not in votes:
            raise RuleViolated("that member did not sit on the council when the vote opened", field="member")
        if votes[member] is not None:
            raise RuleViolated(f"that member's vote is recorded already ({votes[member]})", field="member")
        self._member_voted(number=self.council_votes, member=member, vote=vote)

    @event("ProjectCouncilMemberVoted")
    def _member_voted(self, number: int, member: str, vote: str) -> None:
        self.council_vote["votes"][member] = vote

    def close_council_vote(self, voted_on: date) -> bool:
        """Counts the open council vote against all its frozen seats; returns whether it passed."""
        if self.council_vote is None:
            raise RuleViolated("no council vote on the project is open")
        votes = self.council_vote["votes"]
        missing = sum(1 for v in votes.values() if v is None)
        if missing:
            raise RuleViolated(f"{missing} of the {len(votes)} seated members have no vote recorded "
                               "(record absent members as absent)")
        tally = {choice: sum(1 for v in votes.values() if v == choice.value) for choice in MemberVote}
        members, yes = len(votes), tally[MemberVote.YES]
        passed = council_passes(members, yes)
        counts = {"members": members, "yes": yes, "no": tally[MemberVote.NO],
                  "abstain": tally[MemberVote.ABSTAIN], "passed": passed}
        voted_on = self._dated(voted_on, "votedOn")
        if self.council_vote["subject"] == Subject.PLAN.value:
            self._voted(voted_on=voted_on, **counts)
        else:
            self._budget_amended(budget=self.council_vote["budget"], reason=self.council_vote["reason"],
                                 voted_on=voted_on, **counts)
        return passed

    @event("ProjectCouncilVoted")
    def _voted(self, voted_on: date, members: int, yes: int, no: int, abstain: int, passed: bool) -> None:
        self.last_date = voted_on
        self.council_vote = None
        self.state = S.APPROVED if passed else S.REJECTED

    def receive_bid(self, bidder: str, amount: Decimal | str, note: str = "") -> int:
        self._require("bids are received (no contract before approval)", S.APPROVED)
        number = len(self.bids) + 1
        self._bid_received(number=number, bidder=require_text(bidder, "bidder"),
                           amount=require_amount(amount, "amount"),
                           note=(note or "").strip()[:2000])
        return number

    @event("ProjectBidReceived")
    def _bid_received(self, number: int, bidder: str, amount: Decimal, note: str) -> None:
        self.bids[number] = amount

    def choose_contractor(self, bid: int, reason: str) -> None:
        self._require("a contractor is chosen (no contract before approval)", S.APPROVED)
        if bid not in self.bids:
            raise InvalidInput(f"no bid number {bid}", field="bid")
        if self.bids[bid] > self.budget:
            raise RuleViolated(f"bid {bid} of ¥{self.bids[bid]} is above the budget of ¥{self.budget}",
                               field="bid")
        self._contractor_chosen(bid=bid, reason=require_text(reason, "reason", max_length=2000, multiline=True))

    @event("ProjectContractorChosen")
    def _contractor_chosen(self, bid: int, reason: str) -> None:
        self.state = S.CONTRACTED

    def start_works(self, started_on: date) -> None:
        self._require("works start", S.CONTRACTED)
        self._works_started(started_on=self._dated(started_on, "startedOn"))

    @event("ProjectWorksStarted")
    def _works_started(self, started_on: date) -> None:
        self.last_date = started_on
        self.state = S.IN_WORKS

    def record_inspection(self, inspected_on: date, inspector: str, finding: str) -> None:
        """The volunteer supervision team's inspection of the works."""
        self._require("works are inspected", S.IN_WORKS)
        self._inspected(inspected_on=self._dated(inspected_on, "inspectedOn"),
                        inspector=require_text(inspector, "inspector"),
                        finding=require_text(finding, "finding", max_length=4000, multiline=True))

    @event("ProjectInspected")
    def _inspected(self, inspected_on: date, inspector: str, finding: str) -> None:
        self.last_date = inspected_on

    def complete_works(self, completed_on: date) -> None:
        self._require("works complete", S.IN_WORKS)
        self._completed(completed_on=self._dated(completed_on, "completedOn"))

    @event("ProjectWorksCompleted")
    def _completed(self, completed_on: date) -> None:
        self.last_date = completed_on
        self.state = S.COMPLETED

    def accept(self, accepted_on: date, note: str) -> None:
        """The council's acceptance of the completed works (验收)."""
        self._require("the council accepts the works", S.COMPLETED)
        self._accepted(accepted_on=self._dated(accepted_on, "acceptedOn"),
                       note=require_text(note, "note", max_length=4000, multiline=True))

    @event("ProjectAccepted")
    def _accepted(self, accepted_on: date, note: str) -> None:
        self.last_date = accepted_on
        self.state = S.ACCEPTED

    @event("ProjectBudgetAmendmentVoted")
    def _budget_amended(self, budget: Decimal, reason: str, voted_on: date, members: int, yes: int,
                        no: int, abstain: int, passed: bool) -> None:
        self.last_date = voted_on
        self.council_vote = None
        if passed:
            self.budget = budget

    def settle(self, actual: Decimal | str, settled_on: date) -> None:
        """The actual spend, against the budget; above it only after a passed amendment."""
        self._require("the project is settled", S.ACCEPTED)
        actual = require_amount(actual, "actual")
        if actual > self.budget:
            raise RuleViolated(f"¥{actual} is above the budget of ¥{self.budget}: the council must pass "
                               "a budget amendment first", field="actual")
        self._settled(actual=actual, savings=self.budget - actual,
                      settled_on=self._dated(settled_on, "settledOn"))

    @event("ProjectSettled")
    def _settled(self, actual: Decimal, savings: Decimal, settled_on: date) -> None:
        self.last_date = settled_on
        self.state = S.SETTLED

    def withdraw(self, reason: str) -> None:
        self._require("the project is withdrawn (before works start)", S.PROPOSED, S.DELIBERATING, S.PLANNED,
                      S.PUBLICISED, S.APPROVED, S.REJECTED, S.CONTRACTED)
        self._withdrawn(reason=require_text(reason, "reason", max_length=2000, multiline=True))

    @event("ProjectWithdrawn")
    def _withdrawn(self, reason: str) -> None:
        self.state = S.WITHDRAWN
