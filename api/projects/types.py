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


@strawberry.type(description="How one member seated when a council vote opened voted.")
class CouncilMemberVote:
    compound_id: strawberry.Private[UUID]
    position: int
    member: str | None = strawberry.field(description="Personal data: the member's name")
    vote: str | None = strawberry.field(description="yes, no, abstain or absent; null until recorded")


@strawberry.type(description="A vote of the residents' council on a project, member by member: it passes "
                 "with at least 2/3 of ALL the seats frozen when it opened voting yes.")
class CouncilVote:
    compound_id: strawberry.Private[UUID]
    project_id: strawberry.Private[UUID]
    number: int
    subject: str = strawberry.field(description="plan or budget_amendment")
    opened_on: date
    seats: int = strawberry.field(description="Members seated when the vote opened: the denominator")
    budget: Decimal | None = strawberry.field(description="For a budget amendment: the budget put to the vote")
    reason: str
    voted_on: date | None = strawberry.field(description="When it was counted; null while open")
    yes: int | None
    no: int | None
    abstain: int | None
    absent: int | None
    passed: bool | None

    @staticmethod
    def from_row(row: dict) -> CouncilVote:
        return CouncilVote(**{k: v for k, v in row.items() if k in CouncilVote.__annotations__})

    @strawberry.field(description="Every seat, in the order the members were seated, with their vote.")
    async def members(self, info: Info) -> list[CouncilMemberVote]:
        rows = await info.context.rows(
            "SELECT * FROM council_vote_members WHERE project_id = %s AND number = %s ORDER BY position",
            (self.project_id, self.number))
        return [CouncilMemberVote(compound_id=r["compound_id"], position=r["position"], member=r["member"],
                                  vote=r["vote"]) for r in rows]


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

    @strawberry.field(description="The council's votes on the project, member by member, in order.")
    async def council_votes(self, info: Info) -> list[CouncilVote]:
        rows = await info.context.rows(
            "SELECT * FROM council_votes WHERE project_id = %s ORDER BY number", (self.id,))
        return [CouncilVote.from_row(row) for row in rows]

    @strawberry.field(description="Every step, in the order it was recorded.")
    async def timeline(self, info: Info, first: int | None = None,
                       after: str | None = None) -> Connection[ProjectStep]:
        return await page(info, table="project_steps", where=[sql.SQL("project_id = %s")],
                          params=[self.id], key=("version",), first=first, after=after,
                          node=ProjectStep.from_row)
