"""The branch's reactions: it receives every case a resident raises, notes what the residents
and the property company did with it, and notes the rectifications reported on its notices."""

from __future__ import annotations

from services.branch.application import BranchService
from services.common.application import Receipt
from services.common.policy import Reaction
from services.common.published import PublishedEvent


def reactions(branch: BranchService) -> dict[str, Reaction]:
    def work_order(outcome: str) -> Reaction:
        return lambda e: branch.note_work_order(
            case_id=e.data["case_id"], dispatch_no=e.data["dispatch_no"], outcome=outcome)

    def rectification(e: PublishedEvent) -> Receipt | None:
        return branch.note_rectification(notice_id=e.data["notice_id"], round_=e.data["round"],
                                         report=e.data["report"], reported_on=e.data["reported_on"])

    return {
        "owners_committee.RectificationReported": rectification,
        "property.RectificationReported": rectification,
        "residents.CaseRaised": lambda e: branch.receive_case(
            case_id=e.aggregate_id, compound_id=e.compound_id, category=e.data["category"],
            raised_at=e.occurred_at),
        "residents.CaseWithdrawn": lambda e: branch.note_case_withdrawal(case_id=e.aggregate_id),
        "residents.CaseReopened": lambda e: branch.note_case_reopening(case_id=e.aggregate_id),
        "property.WorkOrderAccepted": work_order("accepted"),
        "property.WorkOrderRefused": work_order("refused"),
        "property.WorkOrderResolved": work_order("resolved"),
    }
