"""The owners' assembly over GraphQL: results for everyone in reach, the vote table for the
committee and auditors, receipts for owners to check; every step by the owners' committee."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated
from uuid import UUID

import strawberry

from api.assembly.types import AssemblyVote, BallotCheck
from api.commands import fields_of, recording
from api.audit.schema import AsOf, travel
from api.context import Info
from api.errors import InvalidInput, NotAllowed, NotFound, RuleViolated, Unavailable, problem_of
from api.pagination import Connection, equal, page
from services.common.errors import DomainError


@strawberry.type
class AssemblyQueries:
    @strawberry.field(description="A compound's votes of the owners' assembly, oldest first.")
    async def assembly_votes(self, info: Info, compound_id: UUID, matter: str | None = None,
                             first: int | None = None, after: str | None = None) -> Connection[AssemblyVote] | None:
        where, params = equal(compound_id=compound_id, matter=matter)
        return await page(info, table="assembly_votes", where=where, params=params,
                          key=("opened_at", "vote_id"), first=first, after=after, node=AssemblyVote.from_row)

    @strawberry.field(description="One vote of the owners' assembly.")
    async def assembly_vote(self, info: Info, compound_id: UUID, id: UUID,
                            as_of: AsOf = None) -> AssemblyVote | None:  # noqa: A002
        if as_of is not None:
            await travel(info, compound_id, as_of)
        row = await info.context.row("SELECT * FROM assembly_votes WHERE vote_id = %s AND compound_id = %s",
                                     (id, compound_id))
        return AssemblyVote.from_row(row) if row else None

    @strawberry.field(description="Checks a ballot receipt: the ballot it stands for, and whether it counts.")
    async def ballot_receipt(self, info: Info, compound_id: UUID, receipt: str) -> BallotCheck | None:
        row = await info.context.row(
            "SELECT b.*, b.version = (SELECT max(version) FROM ballots l WHERE l.vote_id = b.vote_id"
            " AND l.owner = b.owner) AS counted FROM ballots b WHERE receipt = %s AND compound_id = %s",
            (receipt.strip().lower(), compound_id))
        if row is None:
            return None
        return BallotCheck(compound_id=row["compound_id"], vote_id=row["vote_id"], choice=row["choice"],
                           area=row["area"], kind=row["kind"], at=row["at"], counted=row["counted"])


@strawberry.input
class OpenVoteInput:
    compound_id: UUID
    matter: str
    title: str
    description: str
    closes_on: date
    amount: Decimal | None = strawberry.field(default=None, description="For a vote to use or raise "
                                              "maintenance funds: the amount, in yuan")
    company_id: UUID | None = strawberry.field(default=None, description="For a vote to hire or dismiss")
    candidates: list[str] = strawberry.field(default_factory=list, description="For an election")


@strawberry.input
class CastBallotInput:
    compound_id: UUID
    vote_id: UUID
    building: str
    unit: str
    choice: str = strawberry.field(description="yes, no or abstain")
    channel: str = strawberry.field(description="online or paper")


@strawberry.input
class DeliverBallotInput:
    compound_id: UUID
    vote_id: UUID
    building: str
    unit: str
    method: str = strawberry.field(description="in_person, post or electronic")
    delivered_on: date
    recipient: str = strawberry.field(description="Who received it: the owner, or who took it for them")


@strawberry.input
class CloseVoteInput:
    compound_id: UUID
    vote_id: UUID
    objection_days: int = strawberry.field(default=7, description="How long owners may object to the "
                                           "preliminary count: 7 to 60 days")


@strawberry.input(description="An owner's objection about how their own ballot was counted.")
class VoteObjectionInput:
    compound_id: UUID
    vote_id: UUID
    building: str
    unit: str
    objection: str


@strawberry.input
class AnswerVoteObjectionInput:
    compound_id: UUID
    vote_id: UUID
    number: int
    upheld: bool
    reason: str
    choice: str | None = strawberry.field(default=None, description="If upheld: the choice the owner's ballot "
                                          "counts as (yes, no or abstain)")


@strawberry.input
class FinaliseVoteInput:
    compound_id: UUID
    vote_id: UUID


@strawberry.input
class CorrectBallotInput:
    compound_id: UUID
    vote_id: UUID
    building: str
    unit: str
    choice: str
    kind: str = strawberry.field(description="late_paper or recount")
    reason: str


@strawberry.input
class TransferUnitInput:
    compound_id: UUID
    building: str
    unit: str
    owner: str


@strawberry.input
class CorrectUnitAreaInput:
    compound_id: UUID
    building: str
    unit: str
    exclusive_area: Decimal
    reason: str


@strawberry.type(description="A ballot was recorded; the owner keeps the receipt to check it later.")
class BallotRecorded:
    aggregate_id: UUID
    version: int
    receipt: str


BallotResult = Annotated[BallotRecorded | InvalidInput | NotFound | RuleViolated | NotAllowed | Unavailable,
                         strawberry.union("BallotResult")]


@strawberry.type
class AssemblyMutations:
    open_vote = recording("owners_committee", "open_vote", OpenVoteInput,
                          "Opens a vote of the owners' assembly, freezing its electorate.")

    @strawberry.mutation(description="Records the ballot of a unit's owner (one per owner).")
    async def cast_ballot(self, info: Info, input: CastBallotInput) -> BallotResult:  # noqa: A002
        try:
            receipt, ballot = await info.context.command(
                info.path.key, info.context.services.owners_committee.cast_ballot, **fields_of(input))
        except DomainError as error:
            return problem_of(error, f"Mutation.{info.field_name}")
        return BallotRecorded(aggregate_id=receipt.aggregate_id, version=receipt.version, receipt=ballot)

    deliver_ballot = recording("owners_committee", "deliver_ballot", DeliverBallotInput,
                               "Records the delivery of an owner's ballot (表决票送达).")
    close_vote = recording("owners_committee", "close_vote", CloseVoteInput,
                           "Closes a vote: publishes its preliminary count and opens the objection period.")
    correct_ballot = recording("owners_committee", "correct_ballot", CorrectBallotInput,
                               "Records a late paper ballot or a recount after closing; the count follows.")
    lodge_vote_objection = recording("owners_committee", "lodge_vote_objection", VoteObjectionInput,
                                     "An owner objects about how their own ballot was counted.")
    answer_vote_objection = recording("owners_committee", "answer_vote_objection", AnswerVoteObjectionInput,
                                      "Upholds an objection with the corrected ballot, or rejects it with a reason.")
    finalise_vote = recording("owners_committee", "finalise_vote", FinaliseVoteInput,
                              "Makes the count final once objections are over and answered.")
    transfer_unit = recording("owners_committee", "transfer_unit", TransferUnitInput,
                              "Records that a unit passed to a new owner.")
    correct_unit_area = recording("owners_committee", "correct_unit_area", CorrectUnitAreaInput,
                                  "Corrects a unit's registered exclusive area.")
