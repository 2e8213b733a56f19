"""Every step of a case, each by the body that owns it: the resident raises, adds, withdraws and
rates; the branch dispatches and records the takings it answers for; the property company works
its work orders."""

from __future__ import annotations

from uuid import UUID

import strawberry

from api.commands import CommandResult, perform
from api.context import Info


@strawberry.input
class RaiseCaseInput:
    compound_id: UUID
    category: str = strawberry.field(description="repairs, environment_and_sanitation, "
                                     "parking_and_charging, safety, neighbour_dispute, "
                                     "property_dispute, illegal_construction, "
                                     "elderly_and_care_services or other")
    description: str
    location: str = strawberry.field(description="Building and unit, or a common area")
    photo_ref: str | None = None
    urgency: str = strawberry.field(default="routine", description="routine, or emergency (紧急: answered "
                                    "within 2 hours)")


@strawberry.input
class CaseInput:
    """A step on a case that needs nothing more."""

    compound_id: UUID
    case_id: UUID


@strawberry.input
class CaseTextInput:
    """A step on a case with words: information, a reason, a note of progress, a summary."""

    compound_id: UUID
    case_id: UUID
    text: str


@strawberry.input
class RateCaseInput:
    compound_id: UUID
    case_id: UUID
    score: int = strawberry.field(description="1 to 5; below 3 reopens the case, once")
    comment: str = ""


@strawberry.input
class DispatchCaseInput:
    compound_id: UUID
    case_id: UUID
    taker: str = strawberry.field(description="property, party_member, volunteer_team, "
                                  "mediation_room, community or street")
    assignee: str = strawberry.field(description="Who is sent: the company, a member, a team…")


@strawberry.input
class MediationInput:
    compound_id: UUID
    case_id: UUID
    outcome: str = strawberry.field(description="agreement, partial or failed_referred")
    text: str = strawberry.field(description="What was agreed, or why it failed")


@strawberry.input
class WorkOrderInput:
    compound_id: UUID
    work_order_id: UUID


@strawberry.input
class WorkOrderTextInput:
    compound_id: UUID
    work_order_id: UUID
    text: str


@strawberry.type
class CaseMutations:
    # -- the resident (居民点单, 群众评单) --------------------------------------------------------------

    @strawberry.mutation(description="A resident raises a need or complaint (点单).")
    async def raise_case(self, info: Info, input: RaiseCaseInput) -> CommandResult:  # noqa: A002
        return await perform(info, info.context.services.residents.raise_case,
                             compound_id=input.compound_id, category=input.category,
                             description=input.description, location=input.location,
                             photo_ref=input.photo_ref, urgency=input.urgency)

    @strawberry.mutation(description="The resident who raised a case adds to it.")
    async def add_case_information(self, info: Info, input: CaseTextInput) -> CommandResult:  # noqa: A002
        return await perform(info, info.context.services.residents.add_case_information,
                             compound_id=input.compound_id, case_id=input.case_id, text=input.text)

    @strawberry.mutation(description="The resident who raised a case withdraws it, before it is taken.")
    async def withdraw_case(self, info: Info, input: CaseTextInput) -> CommandResult:  # noqa: A002
        return await perform(info, info.context.services.residents.withdraw_case,
                             compound_id=input.compound_id, case_id=input.case_id, reason=input.text)

    @strawberry.mutation(description="The resident who raised a case rates its outcome (评单).")
    async def rate_case(self, info: Info, input: RateCaseInput) -> CommandResult:  # noqa: A002
        return await perform(info, info.context.services.residents.rate_case,
                             compound_id=input.compound_id, case_id=input.case_id,
                             score=input.score, comment=input.comment)

    # -- the branch (小区派单, and the takers it answers for) ------------------------------------------

    @strawberry.mutation(description="The branch dispatches a case to a taker (派单).")
    async def dispatch_case(self, info: Info, input: DispatchCaseInput) -> CommandResult:  # noqa: A002
        return await perform(info, info.context.services.branch.dispatch_case,
                             compound_id=input.compound_id, case_id=input.case_id,
                             taker=input.taker, assignee=input.assignee)

    @strawberry.mutation(description="A taker the branch answers for accepts the case (接单).")
    async def accept_case(self, info: Info, input: CaseInput) -> CommandResult:  # noqa: A002
        return await perform(info, info.context.services.branch.accept_case,
                             compound_id=input.compound_id, case_id=input.case_id)

    @strawberry.mutation(description="A taker the branch answers for refuses the case, with why.")
    async def refuse_case(self, info: Info, input: CaseTextInput) -> CommandResult:  # noqa: A002
        return await perform(info, info.context.services.branch.refuse_case,
                             compound_id=input.compound_id, case_id=input.case_id, reason=input.text)

    @strawberry.mutation(description="Progress on a case a taker the branch answers for works.")
    async def record_case_progress(self, info: Info, input: CaseTextInput) -> CommandResult:  # noqa: A002
        return await perform(info, info.context.services.branch.record_case_progress,
                             compound_id=input.compound_id, case_id=input.case_id, note=input.text)

    @strawberry.mutation(description="A taker the branch answers for resolves the case, with what was done.")
    async def resolve_case(self, info: Info, input: CaseTextInput) -> CommandResult:  # noqa: A002
        return await perform(info, info.context.services.branch.resolve_case,
                             compound_id=input.compound_id, case_id=input.case_id, summary=input.text)

    @strawberry.mutation(description="The mediation room's outcome of a dispute (物业调解): "
                         "agreement, partial or failed_referred.")
    async def conclude_mediation(self, info: Info, input: MediationInput) -> CommandResult:  # noqa: A002
        return await perform(info, info.context.services.branch.conclude_mediation,
                             compound_id=input.compound_id, case_id=input.case_id,
                             outcome=input.outcome, note=input.text)

    # -- the property company (物业接单) ---------------------------------------------------------------

    @strawberry.mutation(description="The property company accepts a work order.")
    async def accept_work_order(self, info: Info, input: WorkOrderInput) -> CommandResult:  # noqa: A002
        return await perform(info, info.context.services.property.accept_work_order,
                             compound_id=input.compound_id, work_order_id=input.work_order_id)

    @strawberry.mutation(description="The property company refuses a work order, with why.")
    async def refuse_work_order(self, info: Info, input: WorkOrderTextInput) -> CommandResult:  # noqa: A002
        return await perform(info, info.context.services.property.refuse_work_order,
                             compound_id=input.compound_id, work_order_id=input.work_order_id,
                             reason=input.text)

    @strawberry.mutation(description="Progress on a work order.")
    async def record_work_order_progress(self, info: Info, input: WorkOrderTextInput) -> CommandResult:  # noqa: A002
        return await perform(info, info.context.services.property.record_work_order_progress,
                             compound_id=input.compound_id, work_order_id=input.work_order_id,
                             note=input.text)

    @strawberry.mutation(description="The property company resolves a work order, with what was done.")
    async def resolve_work_order(self, info: Info, input: WorkOrderTextInput) -> CommandResult:  # noqa: A002
        return await perform(info, info.context.services.property.resolve_work_order,
                             compound_id=input.compound_id, work_order_id=input.work_order_id,
                             summary=input.text)
