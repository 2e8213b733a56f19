"""A work order (工单): a case the branch dispatched to the property company (物业接单), which
accepts or refuses it, records progress and resolves it, by its deadline."""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from services.common.aggregate import GovernanceAggregate
from services.common.errors import RuleViolated, require_text

OPEN, ACCEPTED, REFUSED, RESOLVED = "open", "accepted", "refused", "resolved"


class WorkOrder(GovernanceAggregate):
    @staticmethod
    def create_id(case_id: UUID, dispatch_no: int) -> UUID:
        # One work order per dispatch: opening it twice (a repeated event) is refused.
        return uuid5(NAMESPACE_URL, f"siwei:property:work-order:{case_id}:{dispatch_no}")

    @event("WorkOrderOpened")
    def __init__(self, compound_id: UUID, case_id: UUID, dispatch_no: int, category: str,
                 due_at: datetime) -> None:
        self.case_id = case_id
        self.dispatch_no = dispatch_no
        self.state = OPEN

    def accept(self) -> None:
        if self.state != OPEN:
            raise RuleViolated(f"the work order is {self.state}: only an open one can be accepted")
        self._accepted(case_id=self.case_id, dispatch_no=self.dispatch_no)

    @event("WorkOrderAccepted")
    def _accepted(self, case_id: UUID, dispatch_no: int) -> None:
        self.state = ACCEPTED

    def refuse(self, reason: str) -> None:
        if self.state != OPEN:
            raise RuleViolated(f"the work order is {self.state}: only an open one can be refused")
        self._refused(case_id=self.case_id, dispatch_no=self.dispatch_no,
                      reason=require_text(reason, "reason", max_length=2000, multiline=True))

    @event("WorkOrderRefused")
    def _refused(self, case_id: UUID, dispatch_no: int, reason: str) -> None:
        self.state = REFUSED

    def record_progress(self, note: str) -> None:
        if self.state != ACCEPTED:
            raise RuleViolated(f"the work order is {self.state}: progress is recorded once accepted")
        self._progressed(case_id=self.case_id, dispatch_no=self.dispatch_no,
                         note=require_text(note, "note", max_length=2000, multiline=True))

    @event("WorkOrderProgressRecorded")
    def _progressed(self, case_id: UUID, dispatch_no: int, note: str) -> None:
        pass

    def resolve(self, summary: str) -> None:
        if self.state != ACCEPTED:
            raise RuleViolated(f"the work order is {self.state}: only an accepted one can be resolved")
        self._resolved(case_id=self.case_id, dispatch_no=self.dispatch_no,
                       summary=require_text(summary, "summary", max_length=2000, multiline=True))

    @event("WorkOrderResolved")
    def _resolved(self, case_id: UUID, dispatch_no: int, summary: str) -> None:
        self.state = RESOLVED
