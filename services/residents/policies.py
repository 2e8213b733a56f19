"""The residents' reactions: they note when their case is taken and when it is resolved, by the
property company or by a taker the branch answers for."""

from __future__ import annotations

from services.common.policy import Reaction
from services.residents.application import ResidentsService


def reactions(residents: ResidentsService) -> dict[str, Reaction]:
    return {
        "branch.CaseAccepted": lambda e: residents.note_case_taken(
            case_id=e.data["case_id"], taker=e.data["taker"]),
        "branch.CaseResolved": lambda e: residents.note_case_resolved(
            case_id=e.data["case_id"], summary=e.data["summary"]),
        "branch.MediationConcluded": lambda e: residents.note_case_resolved(
            case_id=e.data["case_id"], summary=e.data["note"])
        if e.data["outcome"] != "failed_referred" else None,
        "property.WorkOrderAccepted": lambda e: residents.note_case_taken(
            case_id=e.data["case_id"], taker="property"),
        "property.WorkOrderResolved": lambda e: residents.note_case_resolved(
            case_id=e.data["case_id"], summary=e.data["summary"]),
    }
