"""The property company's reactions: a case dispatched to it becomes a work order."""

from __future__ import annotations

from services.common.policy import Reaction
from services.common.published import PublishedEvent
from services.property.application import PropertyService


def reactions(property_: PropertyService) -> dict[str, Reaction]:
    def dispatched(e: PublishedEvent):
        if e.data["taker"] != "property":
            return None
        return property_.open_work_order(
            case_id=e.data["case_id"], compound_id=e.compound_id, dispatch_no=e.data["dispatch_no"],
            category=e.data["category"], due_at=e.data["due_at"])

    return {"branch.CaseDispatched": dispatched}
