"""The branch's file on a resident's case (小区派单): received, dispatched to a taker, and, for the
takers the branch answers for (party members, volunteer teams, the mediation room, the community
or street above), accepted, progressed and resolved as they report. The property company keeps
its own work orders; the branch notes what became of them. Every event names its case."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from services.common.aggregate import GovernanceAggregate
from services.common.case_categories import DEADLINES, DISPUTES, Category
from services.common.errors import InvalidInput, RuleViolated, require_text


class Taker(str, Enum):
    PROPERTY = "property"  # 物业接单: a work order in the property company's store
    PARTY_MEMBER = "party_member"  # 党员接单
    VOLUNTEER_TEAM = "volunteer_team"
    MEDIATION_ROOM = "mediation_room"  # 物业调解室, for disputes
    COMMUNITY = "community"  # beyond the compound's authority (分级负责)
    STREET = "street"


# 分级负责: a case not resolved in time goes one tier up; each tier has another full period.
TIERS = ("compound", "community", "street")

RECEIVED, DISPATCHED, ACCEPTED, REFUSED, RESOLVED, REOPENED, WITHDRAWN, REFERRED = (
    "received", "dispatched", "accepted", "refused", "resolved", "reopened", "withdrawn", "referred")


class MediationOutcome(str, Enum):
    AGREEMENT = "agreement"  # 调解成功
    PARTIAL = "partial"
    FAILED_REFERRED = "failed_referred"  # 调解不成, referred on
WORK_ORDER_MOVES = {"accepted": (DISPATCHED, ACCEPTED), "refused": (DISPATCHED, REFUSED),
                    "resolved": (ACCEPTED, RESOLVED)}


class CaseFile(GovernanceAggregate):
    @staticmethod
    def create_id(case_id: UUID) -> UUID:
        return uuid5(NAMESPACE_URL, f"siwei:branch:case-file:{case_id}")

    @event("CaseReceived")
    def __init__(self, compound_id: UUID, case_id: UUID, category: str, raised_at: datetime) -> None:
        self.case_id = case_id
        self.category = category
        self.due_at = raised_at + DEADLINES[Category(category)]
        self.state = RECEIVED
        self.dispatches = 0
        self.taker: str | None = None
        self.tier = 0  # index into TIERS

    def dispatch(self, taker: str, assignee: str) -> None:
        try:
            kind = Taker(taker)
        except ValueError:
            allowed = ", ".join(t.value for t in Taker)
            raise InvalidInput(f"taker must be one of {allowed}, not {taker!r}", field="taker") from None
        if self.state not in (RECEIVED, REFUSED, REOPENED, REFERRED):
            raise RuleViolated(f"the case is {self.state}: it can be dispatched when received, "
                               "refused, referred or reopened")
        if kind == Taker.MEDIATION_ROOM and Category(self.category) not in DISPUTES:
            raise RuleViolated("only neighbour and property disputes go to the mediation room")
        self._dispatched(case_id=self.case_id, dispatch_no=self.dispatches + 1, taker=kind.value,
                         assignee=require_text(assignee, "assignee"), category=self.category,
                         due_at=self.due_at)

    @event("CaseDispatched")
    def _dispatched(self, case_id: UUID, dispatch_no: int, taker: str, assignee: str,
                    category: str, due_at: datetime) -> None:
        self.dispatches = dispatch_no
        self.taker = taker
        self.state = DISPATCHED

    def escalate_overdue(self, now: datetime) -> int:
        """Escalates the case to every tier whose deadline has passed unresolved, once each;
        returns how many tiers it went up."""
        if self.state in (RESOLVED, WITHDRAWN) or now < self.due_at:
            return 0
        period = DEADLINES[Category(self.category)]
        due_tier = min(len(TIERS) - 1, 1 + int((now - self.due_at) / period))
        climbed = 0
        while self.tier < due_tier:
            self._escalated(case_id=self.case_id, tier=TIERS[self.tier + 1],
                            overdue_since=self.due_at + period * self.tier)
            climbed += 1
        return climbed

    @event("CaseEscalated")
    def _escalated(self, case_id: UUID, tier: str, overdue_since: datetime) -> None:
        self.tier += 1

    # -- takers the branch answers for -----------------------------------------------------------

    def _require_own_taker(self, state: str, action: str) -> None:
        if self.taker is None:
            raise RuleViolated("the case has not been dispatched")
        if self.taker == Taker.PROPERTY.value:
            raise RuleViolated("the case was dispatched to the property company, which keeps the work order")
        if self.state != state:
            raise RuleViolated(f"the case is {self.state}: only a {state} case can be {action}")

    def accept(self) -> None:
        self._require_own_taker(DISPATCHED, "accepted")
        self._accepted(case_id=self.case_id, dispatch_no=self.dispatches, taker=self.taker)

    @event("CaseAccepted")
    def _accepted(self, case_id: UUID, dispatch_no: int, taker: str) -> None:
        self.state = ACCEPTED

    def refuse(self, reason: str) -> None:
        self._require_own_taker(DISPATCHED, "refused")
        self._refused(case_id=self.case_id, dispatch_no=self.dispatches, taker=self.taker,
                      reason=require_text(reason, "reason", max_length=2000, multiline=True))

    @event("CaseRefused")
    def _refused(self, case_id: UUID, dispatch_no: int, taker: str, reason: str) -> None:
        self.state = REFUSED

    def record_progress(self, note: str) -> None:
        self._require_own_taker(ACCEPTED, "progressed")
        self._progressed(case_id=self.case_id, dispatch_no=self.dispatches,
                         note=require_text(note, "note", max_length=2000, multiline=True))

    @event("CaseProgressRecorded")
    def _progressed(self, case_id: UUID, dispatch_no: int, note: str) -> None:
        pass

    def resolve(self, summary: str) -> None:
        self._require_own_taker(ACCEPTED, "resolved")
        self._resolved(case_id=self.case_id, dispatch_no=self.dispatches, taker=self.taker,
                       summary=require_text(summary, "summary", max_length=2000, multiline=True))

    @event("CaseResolved")
    def _resolved(self, case_id: UUID, dispatch_no: int, taker: str, summary: str) -> None:
        self.state = RESOLVED

    def conclude_mediation(self, outcome: str, note: str) -> None:
        """The mediation room's outcome (物业调解): an agreement, full or partial, resolves the
        dispute; a failure refers it on, to be dispatched again."""
        try:
            result = MediationOutcome(outcome)
        except ValueError:
            allowed = ", ".join(o.value for o in MediationOutcome)
            raise InvalidInput(f"outcome must be one of {allowed}, not {outcome!r}", field="outcome") from None
        if self.taker != Taker.MEDIATION_ROOM.value or self.state != ACCEPTED:
            raise RuleViolated("only a dispute the mediation room has accepted can be concluded")
        self._mediation_concluded(case_id=self.case_id, dispatch_no=self.dispatches,
                                  outcome=result.value, note=require_text(note, "note", max_length=2000, multiline=True))

    @event("MediationConcluded")
    def _mediation_concluded(self, case_id: UUID, dispatch_no: int, outcome: str, note: str) -> None:
        self.state = REFERRED if outcome == MediationOutcome.FAILED_REFERRED.value else RESOLVED

    # -- what the branch notes from the other bodies: True if there was something to note -------

    def note_withdrawal(self) -> bool:
        if self.state == WITHDRAWN:
            return False
        self._withdrawal_noted(case_id=self.case_id)
        return True

    @event("CaseWithdrawalNoted")
    def _withdrawal_noted(self, case_id: UUID) -> None:
        self.state = WITHDRAWN

    def note_reopening(self) -> bool:
        if self.state != RESOLVED:
            return False
        self._reopening_noted(case_id=self.case_id)
        return True

    @event("CaseReopeningNoted")
    def _reopening_noted(self, case_id: UUID) -> None:
        self.state = REOPENED

    def note_work_order(self, dispatch_no: int, outcome: str) -> bool:
        """The property company accepted, refused or resolved the work order of a dispatch."""
        before, _ = WORK_ORDER_MOVES[outcome]
        if dispatch_no != self.dispatches or self.taker != Taker.PROPERTY.value or self.state != before:
            return False
        self._work_order_noted(case_id=self.case_id, dispatch_no=dispatch_no, outcome=outcome)
        return True

    @event("WorkOrderOutcomeNoted")
    def _work_order_noted(self, case_id: UUID, dispatch_no: int, outcome: str) -> None:
        self.state = WORK_ORDER_MOVES[outcome][1]
