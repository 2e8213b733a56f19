"""Projects over GraphQL: the ledger for everyone in reach; each step by the residents' council."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

import strawberry

from api.commands import recording
from api.audit.schema import AsOf, travel
from api.context import Info
from api.pagination import Connection, equal, page
from api.projects.types import Project


@strawberry.type
class ProjectQueries:
    @strawberry.field(description="A compound's project ledger, oldest first.")
    async def projects(self, info: Info, compound_id: UUID, state: str | None = None,
                       first: int | None = None, after: str | None = None) -> Connection[Project] | None:
        where, params = equal(compound_id=compound_id, state=state)
        return await page(info, table="projects", where=where, params=params,
                          key=("proposed_at", "project_id"), first=first, after=after, node=Project.from_row)

    @strawberry.field(description="One project of a compound.")
    async def project(self, info: Info, compound_id: UUID, id: UUID, as_of: AsOf = None) -> Project | None:  # noqa: A002
        if as_of is not None:
            await travel(info, compound_id, as_of)
        row = await info.context.row("SELECT * FROM projects WHERE project_id = %s AND compound_id = %s",
                                     (id, compound_id))
        return Project.from_row(row) if row else None


@strawberry.input
class ProposeProjectInput:
    compound_id: UUID
    title: str
    description: str
    proposed_by: str = strawberry.field(description="residents_council or branch")


@strawberry.input
class ProjectMeetingInput:
    compound_id: UUID
    project_id: UUID
    held_on: date
    attendees: list[str]
    bodies: list[str] = strawberry.field(description="For each attendee: branch, residents_council, "
                                         "owners_committee, property, community, contractor or resident")
    minutes: str


@strawberry.input
class ProjectPlanInput:
    compound_id: UUID
    project_id: UUID
    content: str
    budget: Decimal
    funding: str
    contributing_households: int = 0
    contribution_per_household: Decimal = Decimal(0)


@strawberry.input
class PubliciseProjectInput:
    compound_id: UUID
    project_id: UUID
    posted_on: date
    days: int


@strawberry.input
class ProjectObjectionInput:
    compound_id: UUID
    project_id: UUID
    lodged_on: date
    objection: str


@strawberry.input
class ProjectObjectionAnswerInput:
    compound_id: UUID
    project_id: UUID
    number: int
    answer: str


@strawberry.input(description="Opens the council's vote, freezing the council as seated now.")
class OpenCouncilVoteInput:
    compound_id: UUID
    project_id: UUID
    subject: str = strawberry.field(description="plan, or budget_amendment")
    opened_on: date
    budget: Decimal | None = strawberry.field(default=None, description="For a budget amendment: the new "
                                              "budget, in yuan")
    reason: str = strawberry.field(default="", description="For a budget amendment: why")


@strawberry.input(description="How one member seated when the vote opened voted.")
class CouncilMemberVoteInput:
    compound_id: UUID
    project_id: UUID
    member: str
    vote: str = strawberry.field(description="yes, no, abstain or absent")


@strawberry.input(description="Counts the council's vote: it passes with 2/3 of ALL its frozen seats voting yes.")
class CloseCouncilVoteInput:
    compound_id: UUID
    project_id: UUID
    voted_on: date


@strawberry.input
class ProjectBidInput:
    compound_id: UUID
    project_id: UUID
    bidder: str
    amount: Decimal
    note: str = ""


@strawberry.input
class ChooseContractorInput:
    compound_id: UUID
    project_id: UUID
    bid: int
    reason: str


@strawberry.input
class ProjectWorksStartedInput:
    compound_id: UUID
    project_id: UUID
    started_on: date


@strawberry.input
class ProjectInspectionInput:
    compound_id: UUID
    project_id: UUID
    inspected_on: date
    inspector: str
    finding: str


@strawberry.input
class ProjectWorksCompletedInput:
    compound_id: UUID
    project_id: UUID
    completed_on: date


@strawberry.input
class AcceptProjectInput:
    compound_id: UUID
    project_id: UUID
    accepted_on: date
    note: str


@strawberry.input
class SettleProjectInput:
    compound_id: UUID
    project_id: UUID
    actual: Decimal
    settled_on: date


@strawberry.input
class WithdrawProjectInput:
    compound_id: UUID
    project_id: UUID
    reason: str


@strawberry.type
class ProjectMutations:
    propose_project = recording("residents", "propose_project", ProposeProjectInput,
                                "Records a project proposed by the council or the branch.")
    hold_project_meeting = recording("residents", "hold_project_meeting", ProjectMeetingInput,
                                     "Records a meeting on the project: date, attendees and minutes.")
    draft_project_plan = recording("residents", "draft_project_plan", ProjectPlanInput,
                                   "Records the plan: content, budget and funding.")
    publicise_project = recording("residents", "publicise_project", PubliciseProjectInput,
                                  "Records the notice (公示) of the plan and its period.")
    lodge_project_objection = recording("residents", "lodge_project_objection", ProjectObjectionInput,
                                        "Records an objection lodged during the notice period.")
    answer_project_objection = recording("residents", "answer_project_objection", ProjectObjectionAnswerInput,
                                         "Records the answer to an objection.")
    open_council_vote = recording("residents", "open_council_vote", OpenCouncilVoteInput,
                                  "Opens the council's vote on the plan or on a budget amendment.")
    record_council_member_vote = recording("residents", "record_council_member_vote", CouncilMemberVoteInput,
                                           "Records how one seated member of the council voted.")
    close_council_vote = recording("residents", "close_council_vote", CloseCouncilVoteInput,
                                   "Closes the council's vote and counts it against all its seats.")
    receive_project_bid = recording("residents", "receive_project_bid", ProjectBidInput,
                                    "Records a bid for the works (比选).")
    choose_project_contractor = recording("residents", "choose_project_contractor", ChooseContractorInput,
                                          "Records the contractor chosen, and why.")
    start_project_works = recording("residents", "start_project_works", ProjectWorksStartedInput,
                                    "Records the start of the works.")
    record_project_inspection = recording("residents", "record_project_inspection", ProjectInspectionInput,
                                          "Records an inspection by the volunteer supervision team.")
    complete_project_works = recording("residents", "complete_project_works", ProjectWorksCompletedInput,
                                       "Records the completion of the works.")
    accept_project = recording("residents", "accept_project", AcceptProjectInput,
                               "Records the council's acceptance of the works.")
    settle_project = recording("residents", "settle_project", SettleProjectInput,
                               "Records the actual spend against the budget.")
    withdraw_project = recording("residents", "withdraw_project", WithdrawProjectInput,
                                 "Withdraws the project, before works start.")
