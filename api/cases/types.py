"""Cases as partners see them: one case across the bodies, and its timeline."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry
from psycopg import sql

from api.context import Info, reading_now
from api.pagination import Connection, page
from projections.cases.view import OPEN_STATES
from services.property.work_order import WorkOrder



@strawberry.type(description="One step of a case, by whichever body took it.")
class CaseStep:
    compound_id: strawberry.Private[UUID]
    subject: strawberry.Private[str | None]
    at: datetime
    body: str
    step: str = strawberry.field(description="The event's name, e.g. CaseDispatched")
    actor: str = strawberry.field(description="Who took the step (personal data where a resident)")
    state_after: str | None = strawberry.field(description="The case's state after it; null for "
                                                "a body noting another body's step")
    detail: str | None
    hours_since_previous: float | None = strawberry.field(description="How long since the step "
                                                          "before: how long this step took")

    @staticmethod
    def from_row(row: dict) -> CaseStep:
        return CaseStep(compound_id=row["compound_id"], subject=row["raised_by"], at=row["at"],
                        body=row["body"], step=row["step"], actor=row["actor"],
                        state_after=row["state_after"], detail=row["detail"],
                        hours_since_previous=row["hours_since_previous"])


@strawberry.type(description="A resident's need or complaint (居民点单) and what became of it.")
class Case:
    subject: strawberry.Private[str | None]
    id: UUID
    compound_id: UUID
    category: str
    description: str
    location: str
    photo_ref: str | None
    raised_by: str | None = strawberry.field(description="The resident who raised it (personal data)")
    raised_at: datetime
    urgency: str = strawberry.field(description="routine or emergency, as the resident raised it")
    respond_by: datetime = strawberry.field(description="When its first answer is due: by category and urgency")
    first_answered_at: datetime | None = strawberry.field(description="Its first dispatch, acceptance or refusal")
    due_at: datetime = strawberry.field(description="限期办结: by category")
    state: str = strawberry.field(description="raised, dispatched, accepted, refused, referred, "
                                  "resolved, reopened, closed or withdrawn")
    taker: str | None
    assignee: str | None = strawberry.field(description="Who was sent (personal data)")
    dispatches: int
    accepted_at: datetime | None
    resolved_at: datetime | None
    score: int | None = strawberry.field(description="The resident's rating, 1 to 5 (personal data)")
    comment: str | None = strawberry.field(description="The resident's comment (personal data)")
    reopened: bool
    withdrawn_at: datetime | None
    escalated_to: str | None = strawberry.field(description="community or street, once overdue (分级负责)")
    mediation_outcome: str | None = strawberry.field(description="For disputes: agreement, partial "
                                                     "or failed_referred")

    @strawberry.field(description="The property company's work order, when it is the taker.")
    def work_order_id(self) -> UUID | None:
        return WorkOrder.create_id(self.id, self.dispatches) if self.taker == "property" else None

    @strawberry.field(description="Open past its deadline, or resolved after it.")
    def overdue(self) -> bool:
        if self.state in OPEN_STATES:
            return reading_now() > self.due_at
        return self.resolved_at is not None and self.resolved_at > self.due_at

    @strawberry.field(description="Every step, by every body, in order.")
    async def timeline(self, info: Info, first: int | None = None,
                       after: str | None = None) -> Connection[CaseStep]:
        return await page(info, table="case_timeline", where=[sql.SQL("case_id = %s")], params=[self.id],
                          key=("at", "version", "event_id"), first=first, after=after, node=CaseStep.from_row)

    @staticmethod
    def from_row(row: dict) -> Case:
        return Case(
            subject=row["raised_by"], id=row["case_id"], compound_id=row["compound_id"],
            category=row["category"], description=row["description"], location=row["location"],
            photo_ref=row["photo_ref"], raised_by=row["raised_by"], raised_at=row["raised_at"],
            urgency=row["urgency"], respond_by=row["respond_by"], first_answered_at=row["first_contact_at"],
            due_at=row["due_at"], state=row["state"], taker=row["taker"], assignee=row["assignee"],
            dispatches=row["dispatches"], accepted_at=row["accepted_at"],
            resolved_at=row["resolved_at"], score=row["score"], comment=row["comment"],
            reopened=row["reopened"], withdrawn_at=row["withdrawn_at"],
            escalated_to=row["escalated_to"], mediation_outcome=row["mediation_outcome"],
        )
