"""The project ledger as partners read it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import strawberry

from psycopg import sql

from api.context import Info
from api.pagination import Connection, page


@strawberry.type(description="One step of a project, by the body that recorded it.")
class ProjectStep:
    compound_id: strawberry.Private[UUID]
    at: datetime = strawberry.field(description="When it was recorded")
    on_date: date | None = strawberry.field(description="The date on paper the step records")
    step: str
    actor: str
    detail: str | None

    @staticmethod
    def from_row(row: dict) -> ProjectStep:
        return ProjectStep(compound_id=row["compound_id"], at=row["at"], on_date=row["on_date"],
                           step=row["step"], actor=row["actor"], detail=row["detail"])


@strawberry.type(description="A project of the residents' council: budget, actual spend, savings, state.")
class Project:
    compound_id: UUID
    id: UUID
    title: str
    description: str
    proposed_by: str = strawberry.field(description="residents_council or branch")
    proposed_at: datetime
    state: str = strawberry.field(description="proposed, deliberating, planned, publicised, approved, "
                                  "rejected, contracted, in_works, completed, accepted, settled or withdrawn")
    plan: str | None
    budget: Decimal | None = strawberry.field(description="In yuan, after any amendment the council passed")
    funding: str | None = strawberry.field(description="maintenance_fund, self_raised, crowdfunded, "
                                           "government_fund or property_company")
    contributing_households: int | None
    contribution_per_household: Decimal | None
    notice_posted_on: date | None
    notice_ends_on: date | None
    council_members: int | None
    council_yes: int | None
    voted_on: date | None
    contractor: str | None
    contract_amount: Decimal | None
    started_on: date | None
    completed_on: date | None
    accepted_on: date | None
    actual: Decimal | None
    savings: Decimal | None = strawberry.field(description="Budget less actual spend, once settled")
    settled_on: date | None

    @staticmethod
    def from_row(row: dict) -> Project:
        return Project(id=row["project_id"], **{k: v for k, v in row.items() if k in Project.__annotations__})

    @strawberry.field(description="Every step, in the order it was recorded.")
    async def timeline(self, info: Info, first: int | None = None,
                       after: str | None = None) -> Connection[ProjectStep]:
        async with info.context.read_models.connection() as conn:
            return await page(conn, table="project_steps", where=[sql.SQL("project_id = %s")],
                              params=[self.id], key=("version",), first=first, after=after,
                              node=ProjectStep.from_row)
