"""The branch's reactions: it receives every case a resident raises, and notes what the residents
and the property company did with it."""

from __future__ import annotations

from services.branch.application import BranchService
from services.common.policy import Reaction


def reactions(branch: BranchService) -> dict[str, Reaction]:
    def work_order(outcome: str) -> Reaction:
        return lambda e: branch.note_work_order(
            case_id=e.data["case_id"], dispatch_no=e.data["dispatch_no"], outcome=outcome)

    return {
        "residents.CaseRaised": lambda e: branch.receive_case(
            case_id=e.aggregate_id, compound_id=e.compound_id, category=e.data["category"],
            raised_at=e.occurred_at),
        "residents.CaseWithdrawn": lambda e: branch.note_case_withdrawal(case_id=e.aggregate_id),
        "residents.CaseReopened": lambda e: branch.note_case_reopening(case_id=e.aggregate_id),
        "property.WorkOrderAccepted": work_order("accepted"),
        "property.WorkOrderRefused": work_order("refused"),
        "property.WorkOrderResolved": work_order("resolved"),
    }
