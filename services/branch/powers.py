"""The branch's five powers (Luohu 五权), each a flow of events across the bodies of a compound:

- deliberation 议事: joint meetings (联席会议) of the bodies, with who attended and what was decided;
- suggestion 建议: a suggestion to another body with a deadline, which that body answers;
- personnel 人事: candidates recommended for the owners' committee or the residents' council;
- supervision 监督: a notice to the owners' committee or the property company to rectify by a
  deadline; the body reports its rectification, the branch closes the notice or re-opens it;
- evaluation 评议: residents and members score the property company or the owners' committee,
  and the result is published.

Besides, the branch records its own activities (主题党日, volunteering), with the members who took
part: the first figure of its star rating.

Dates on paper (a meeting's, a notice's, its deadline) are inputs, kept in order, never in the
future; a deadline is a date, and an item still open after it is overdue.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from uuid import UUID

from eventsourcing.domain import event

from services.common.aggregate import GovernanceAggregate
from services.common.bodies import Body
from services.common.context import today
from services.common.errors import InvalidInput, RuleViolated, require_choice, require_count, require_date, require_text

MAX_DEADLINE = timedelta(days=366)
BODY_NAMES = {
    Body.BRANCH: "party branch", Body.RESIDENTS: "residents' group",
    Body.OWNERS_COMMITTEE: "owners' committee", Body.PROPERTY: "property company",
}
# Who may be addressed by which power.
SUGGESTED_TO = (Body.RESIDENTS, Body.OWNERS_COMMITTEE, Body.PROPERTY)
SUPERVISED = (Body.OWNERS_COMMITTEE, Body.PROPERTY)
RECOMMENDED_TO = (Body.OWNERS_COMMITTEE, Body.RESIDENTS)
EVALUATED = (Body.OWNERS_COMMITTEE, Body.PROPERTY)


def require_body(value: str, allowed: tuple[Body, ...], field: str, present: Collection[str] | None = None) -> str:
    """One of the ``allowed`` bodies, and, given the bodies ``present`` in the compound, one of them."""
    if value not in {b.value for b in allowed}:
        names = ", ".join(b.value for b in allowed)
        raise InvalidInput(f"{field} must be one of {names}, not {value!r}", field=field)
    if present is not None and value not in present:
        raise RuleViolated(f"the compound has no {BODY_NAMES[Body(value)]}", field=field)
    return value


def require_deadline(deadline: date, field: str, since: date, *, same_day: bool = False) -> date:
    """A deadline after ``since`` (or on it, if ``same_day``), within a year of it."""
    if same_day:
        require_date(deadline, field, not_before=since)
    else:
        require_date(deadline, field, after=since)
    if deadline - since > MAX_DEADLINE:
        raise RuleViolated(f"{field} is more than a year after {since}", field=field)
    return deadline


class JointMeeting(GovernanceAggregate):
    """议事: a joint meeting (联席会议) the branch convened, with each body's attendance."""

    @event("JointMeetingHeld")
    def __init__(self, compound_id: UUID, branch_id: UUID, held_on: date, topic: str, bodies: list[str],
                 attendees: list[int], decisions: list[str]) -> None:
        pass

    @classmethod
    def hold(cls, *, compound_id: UUID, branch_id: UUID, held_on: date, topic: str, bodies: list[str],
             attendees: list[int], decisions: list[str], present: Collection[str]) -> JointMeeting:
        if len(bodies) != len(attendees):
            raise InvalidInput("attendees must give one number for each body", field="attendees")
        bodies = [require_body(b, tuple(Body), "bodies", present) for b in bodies]
        if len(set(bodies)) != len(bodies):
            raise InvalidInput("each body is named once", field="bodies")
        if Body.BRANCH.value not in bodies:
            raise RuleViolated("the branch convenes a joint meeting and attends it", field="bodies")
        if len(bodies) < 2:
            raise RuleViolated("a joint meeting brings at least two bodies together", field="bodies")
        if any(require_count(n, "attendees") == 0 for n in attendees):
            raise InvalidInput("each body named attends with at least one person", field="attendees")
        decisions = [require_text(d, "decisions", max_length=2000, multiline=True) for d in decisions]
        return cls(compound_id=compound_id, branch_id=branch_id,
                   held_on=require_date(held_on, "heldOn", not_after=today()),
                   topic=require_text(topic, "topic"), bodies=bodies, attendees=list(attendees),
                   decisions=decisions)


class Activity(GovernanceAggregate):
    """An activity of the branch (主题党日, volunteering, a visit) and the members who took part."""

    @event("BranchActivityHeld")
    def __init__(self, compound_id: UUID, branch_id: UUID, held_on: date, title: str,
                 participants: list[UUID], residents_attending: int) -> None:
        pass

    @classmethod
    def hold(cls, *, compound_id: UUID, branch_id: UUID, held_on: date, title: str,
             participants: list[UUID], residents_attending: int, members: Collection[UUID]) -> Activity:
        participants = list(dict.fromkeys(participants))
        strangers = [p for p in participants if p not in members]
        if strangers:
            raise RuleViolated(f"{strangers[0]} is not an active member of the branch", field="participants")
        if not participants and not residents_attending:
            raise InvalidInput("an activity has members or residents taking part", field="participants")
        return cls(compound_id=compound_id, branch_id=branch_id,
                   held_on=require_date(held_on, "heldOn", not_after=today()),
                   title=require_text(title, "title"), participants=participants,
                   residents_attending=require_count(residents_attending, "residentsAttending"))


class Suggestion(GovernanceAggregate):
    """建议: the branch suggests to another body of the compound, to be answered by a date. The
    answer is the addressed body's event, in its own store."""

    @event("SuggestionMade")
    def __init__(self, compound_id: UUID, branch_id: UUID, addressed_to: str, subject: str, text: str,
                 made_on: date, answer_by: date) -> None:
        self.addressed_to = addressed_to
        self.made_on = made_on

    @classmethod
    def make(cls, *, compound_id: UUID, branch_id: UUID, addressed_to: str, subject: str, text: str,
             made_on: date, answer_by: date, present: Collection[str]) -> Suggestion:
        made_on = require_date(made_on, "madeOn", not_after=today())
        return cls(compound_id=compound_id, branch_id=branch_id,
                   addressed_to=require_body(addressed_to, SUGGESTED_TO, "addressedTo", present),
                   subject=require_text(subject, "subject"), text=require_text(text, "text", max_length=2000, multiline=True),
                   made_on=made_on, answer_by=require_deadline(answer_by, "answerBy", made_on))


OPEN, REPORTED, CLOSED = "open", "reported", "closed"


class SupervisionNotice(GovernanceAggregate):
    """监督: a notice to the owners' committee or the property company to rectify by a date. Each
    round runs from issue (or re-opening) to the body's report of rectification; the branch then
    closes the notice or re-opens it with a new deadline."""

    @event("SupervisionNoticeIssued")
    def __init__(self, compound_id: UUID, branch_id: UUID, addressed_to: str, matter: str,
                 requirement: str, issued_on: date, rectify_by: date) -> None:
        self.addressed_to = addressed_to
        self.issued_on = issued_on
        self.round = 1
        self.state = OPEN

    @classmethod
    def issue(cls, *, compound_id: UUID, branch_id: UUID, addressed_to: str, matter: str, requirement: str,
              issued_on: date, rectify_by: date, present: Collection[str]) -> SupervisionNotice:
        issued_on = require_date(issued_on, "issuedOn", not_after=today())
        return cls(compound_id=compound_id, branch_id=branch_id,
                   addressed_to=require_body(addressed_to, SUPERVISED, "addressedTo", present),
                   matter=require_text(matter, "matter"),
                   requirement=require_text(requirement, "requirement", max_length=2000, multiline=True),
                   issued_on=issued_on, rectify_by=require_deadline(rectify_by, "rectifyBy", issued_on))

    def note_rectification(self, round_: int, report: str, reported_on: date) -> bool:
        """The addressed body's report, as the branch notes it; False if noted already."""
        if round_ != self.round or self.state != OPEN:
            return False
        self._noted(round=round_, report=report, reported_on=reported_on)
        return True

    @event("RectificationNoted")
    def _noted(self, round: int, report: str, reported_on: date) -> None:  # noqa: A002
        self.state = REPORTED

    def close(self, note: str) -> None:
        if self.state != REPORTED:
            raise RuleViolated(f"the notice is {self.state}: it is closed once the "
                               f"{BODY_NAMES[Body(self.addressed_to)]} reports its rectification")
        self._closed(note=require_text(note, "note", max_length=2000, multiline=True))

    @event("SupervisionNoticeClosed")
    def _closed(self, note: str) -> None:
        self.state = CLOSED

    def reopen(self, reason: str, rectify_by: date) -> None:
        if self.state == OPEN:
            raise RuleViolated("the notice is open: it awaits the rectification report")
        self._reopened(round=self.round + 1, reason=require_text(reason, "reason", max_length=2000, multiline=True),
                       rectify_by=require_deadline(rectify_by, "rectifyBy", today(), same_day=True))

    @event("SupervisionNoticeReopened")
    def _reopened(self, round: int, reason: str, rectify_by: date) -> None:  # noqa: A002
        self.round = round
        self.state = OPEN


class Recommendation(GovernanceAggregate):
    """人事: candidates the branch recommends for the owners' committee or the residents' council."""

    @event("CandidatesRecommended")
    def __init__(self, compound_id: UUID, branch_id: UUID, recommended_to: str, candidates: list[str],
                 note: str) -> None:
        pass

    @classmethod
    def recommend(cls, *, compound_id: UUID, branch_id: UUID, recommended_to: str, candidates: list[str],
                  note: str) -> Recommendation:
        names = [require_text(c, "candidates", max_length=80) for c in candidates]
        if not names:
            raise InvalidInput("recommend at least one candidate", field="candidates")
        if len(set(names)) != len(names):
            raise InvalidInput("each candidate is named once", field="candidates")
        return cls(compound_id=compound_id, branch_id=branch_id,
                   recommended_to=require_body(recommended_to, RECOMMENDED_TO, "recommendedTo"),
                   candidates=names, note=(note or "").strip()[:2000])


class Rater(str, Enum):
    RESIDENT = "resident"
    MEMBER = "member"


MIN_SCORE, MAX_SCORE = 1, 5  # the same scale as a case's rating


class Verdict(str, Enum):
    SATISFIED = "satisfied"  # 满意: an average of 4 or more
    BASICALLY_SATISFIED = "basically_satisfied"  # 基本满意: 3 or more
    DISSATISFIED = "dissatisfied"  # 不满意

    @classmethod
    def of(cls, average: Decimal) -> Verdict:
        if average >= 4:
            return cls.SATISFIED
        return cls.BASICALLY_SATISFIED if average >= 3 else cls.DISSATISFIED


class Evaluation(GovernanceAggregate):
    """评议: a round in which residents and members score the property company or the owners'
    committee, one sheet per rater, until the branch publishes the result."""

    @event("EvaluationOpened")
    def __init__(self, compound_id: UUID, branch_id: UUID, evaluated: str, title: str, closes_on: date) -> None:
        self.closes_on = closes_on
        self.raters: set[str] = set()
        self.scores: list[tuple[str, int]] = []
        self.published = False

    @classmethod
    def open(cls, *, compound_id: UUID, branch_id: UUID, evaluated: str, title: str, closes_on: date,
             present: Collection[str]) -> Evaluation:
        return cls(compound_id=compound_id, branch_id=branch_id,
                   evaluated=require_body(evaluated, EVALUATED, "evaluated", present),
                   title=require_text(title, "title"),
                   closes_on=require_deadline(closes_on, "closesOn", today(), same_day=True))

    def score(self, rater_kind: str, rater: str, score: int) -> None:
        if self.published:
            raise RuleViolated("the evaluation's result is published: no more sheets")
        if today() > self.closes_on:
            raise RuleViolated(f"the evaluation closed on {self.closes_on}")
        rater_kind = require_choice(Rater, rater_kind, "raterKind")
        rater = require_text(rater, "rater", max_length=80)
        if (rater_kind, rater) in self.raters:
            raise RuleViolated("that rater has scored already: one sheet each", field="rater")
        if not isinstance(score, int) or isinstance(score, bool) or not MIN_SCORE <= score <= MAX_SCORE:
            raise InvalidInput(f"score must be a whole number from {MIN_SCORE} to {MAX_SCORE}", field="score")
        self._scored(rater_kind=rater_kind, rater=rater, score=score)

    @event("EvaluationScored")
    def _scored(self, rater_kind: str, rater: str, score: int) -> None:
        self.raters.add((rater_kind, rater))
        self.scores.append((rater_kind, score))

    def publish(self) -> None:
        if self.published:
            raise RuleViolated("the result is published already")
        if not self.scores:
            raise RuleViolated("no sheet is scored yet")
        average = (Decimal(sum(s for _, s in self.scores)) / len(self.scores)).quantize(
            Decimal("0.01"), ROUND_HALF_UP)
        self._published(average=average, sheets=len(self.scores),
                        residents=sum(1 for k, _ in self.scores if k == Rater.RESIDENT),
                        members=sum(1 for k, _ in self.scores if k == Rater.MEMBER),
                        verdict=Verdict.of(average).value)

    @event("EvaluationPublished")
    def _published(self, average: Decimal, sheets: int, residents: int, members: int, verdict: str) -> None:
        self.published = True
