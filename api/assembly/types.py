"""Votes of the owners' assembly as partners read them: the result with its legal basis, and the
itemised vote table (表决结果明细表) for filing."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import strawberry
from psycopg import sql

from api.context import Info
from api.pagination import Connection, page
from services.common.personal import resident_actor


@strawberry.type(description="One owner's line of the itemised vote table (表决结果明细表).")
class VoteTableRow:
    compound_id: strawberry.Private[UUID]
    position: int
    owner: str | None = strawberry.field(description="Personal data")
    units: str | None = strawberry.field(description="Personal data: the owner's units, together")
    area: Decimal = strawberry.field(description="The owner's exclusive area in m², as frozen at opening")
    choice: str | None = strawberry.field(description="yes, no or abstain; null if the owner did not vote")
    how: str | None = strawberry.field(description="cast, late_paper, recount or objection")
    channel: str | None = strawberry.field(description="online or paper")
    delivered_by: str | None = strawberry.field(description="How the ballot was delivered to the owner: "
                                                "in_person, post or electronic; null if no delivery is recorded")
    delivered_on: date | None
    delivered_to: str | None = strawberry.field(description="Personal data: who received it")

    @staticmethod
    def from_row(row: dict) -> VoteTableRow:
        return VoteTableRow(compound_id=row["compound_id"], position=row["position"], owner=row["owner"],
                            units=row["units"], area=row["area"], choice=row["choice"], how=row["kind"],
                            channel=row["channel"], delivered_by=row["delivered_by"],
                            delivered_on=row["delivered_on"], delivered_to=row["delivered_to"])


@strawberry.type(description="An owner's objection to how their ballot was counted (询异), and its answer.")
class VoteObjection:
    compound_id: strawberry.Private[UUID]
    subject: strawberry.Private[str]  # the resident of the owner's unit, as their events name them
    number: int
    owner: str | None = strawberry.field(description="Personal data: the owner who objected")
    lodged_on: date
    objection: str | None = strawberry.field(description="Personal data: what the owner wrote")
    upheld: bool | None = strawberry.field(description="Null until the committee answers")
    answer: str | None
    answered_at: datetime | None


# Each elector with their counted ballot: the latest of theirs, if any.
VOTE_TABLE = """(SELECT e.*, b.choice, b.kind, b.channel FROM vote_electors e
  LEFT JOIN LATERAL (SELECT choice, kind, channel FROM ballots
                     WHERE ballots.vote_id = e.vote_id AND ballots.owner = e.owner
                     ORDER BY version DESC LIMIT 1) b ON true) AS vote_table"""


@strawberry.type(description="One step of a vote, as the owners' committee recorded it.")
class VoteStep:
    compound_id: strawberry.Private[UUID]
    at: datetime
    step: str
    detail: str = strawberry.field(description="What was recorded; owners' names are opened for the committee "
                                   "and auditors")

    @staticmethod
    def from_row(row: dict) -> VoteStep:
        return VoteStep(compound_id=row["compound_id"], at=row["at"], step=row["step"], detail=row["detail"])


@strawberry.type(description="A vote of the owners' assembly (业主大会) and its count under Civil Code art. 278.")
class AssemblyVote:
    compound_id: UUID
    id: UUID
    matter: str = strawberry.field(description="rules_of_procedure, management_statute, elect_committee, "
                                   "hire_property_company, dismiss_property_company, use_maintenance_fund, "
                                   "raise_maintenance_fund, rebuild, change_common_parts or other_major")
    majority: str = strawberry.field(description="special: ≥ 3/4 of participating area and owners; "
                                     "ordinary: > 1/2 of both")
    title: str
    description: str
    closes_on: date
    amount: Decimal | None = strawberry.field(description="What a maintenance-fund resolution names, in yuan")
    company_id: UUID | None
    candidates: list[str]
    stage: str = strawberry.field(description="open; preliminary: counted and publicised, objections may be "
                                  "lodged until objectionsEnd; or final: only a final result founds anything")
    opened_at: datetime
    notice_ends: date | None = strawberry.field(
        description="Until this day the vote closes only once every owner was reached (15-day notice)")
    closed_at: datetime | None
    objections_end: date | None = strawberry.field(description="The last day objections may be lodged")
    finalised_at: datetime | None
    total_area: Decimal = strawberry.field(description="Exclusive area of the frozen electorate, m²")
    total_owners: int = strawberry.field(description="Owners of the frozen electorate, by headcount")
    voted_area: Decimal | None
    voted_owners: int | None
    yes_area: Decimal | None
    yes_owners: int | None
    no_area: Decimal | None
    no_owners: int | None
    abstain_area: Decimal | None
    abstain_owners: int | None
    valid: bool | None = strawberry.field(description="Whether 2/3 of area and of owners took part")
    passed: bool | None
    reason: str | None = strawberry.field(description="The rule applied and why the matter passed or failed")
    counted_at: datetime | None
    count_occasion: str | None = strawberry.field(description="closing, late_paper, recount, objection or final")
    corrections: int

    @staticmethod
    def from_row(row: dict) -> AssemblyVote:
        return AssemblyVote(id=row["vote_id"], **{k: v for k, v in row.items() if k in AssemblyVote.__annotations__})

    @strawberry.field(description="Owners of the frozen electorate whose ballot was neither delivered nor cast.")
    async def unreached_owners(self, info: Info) -> int:
        row = await info.context.row(
            "SELECT count(*) AS n FROM vote_electors e WHERE e.vote_id = %s AND e.delivered_on IS NULL"
            " AND NOT EXISTS (SELECT 1 FROM ballots b WHERE b.vote_id = e.vote_id AND b.owner = e.owner)",
            (self.id,))
        return row["n"]

    @strawberry.field(description="Objections to the preliminary count, in the order lodged.")
    async def objections(self, info: Info) -> list[VoteObjection]:
        rows = await info.context.rows("SELECT * FROM vote_objections WHERE vote_id = %s ORDER BY number",
                                       (self.id,))
        return [VoteObjection(subject=resident_actor(row["compound_id"], row["unit"]),
                              **{k: v for k, v in row.items() if k in VoteObjection.__annotations__})
                for row in rows]

    @strawberry.field(description="Every step of the vote, in the order recorded: opening, deliveries, ballots, "
                      "the preliminary count, objections and their answers, corrections, the final count.")
    async def timeline(self, info: Info, first: int | None = None,
                       after: str | None = None) -> Connection[VoteStep]:
        return await page(info, table="vote_steps", where=[sql.SQL("vote_id = %s")], params=[self.id],
                          key=("version",), first=first, after=after, node=VoteStep.from_row)

    @strawberry.field(description="The itemised vote table: every owner of the frozen electorate, in order.")
    async def vote_table(self, info: Info, first: int | None = None,
                         after: str | None = None) -> Connection[VoteTableRow]:
        return await page(info, table=sql.SQL(VOTE_TABLE), where=[sql.SQL("vote_id = %s")],
                          params=[self.id], key=("position",), first=first, after=after,
                          node=VoteTableRow.from_row)


@strawberry.type(description="What a receipt shows its holder: the ballot, and whether it is the one counted.")
class BallotCheck:
    compound_id: strawberry.Private[UUID]
    vote_id: UUID
    choice: str
    area: Decimal
    kind: str
    at: datetime
    counted: bool = strawberry.field(
        description="True if this ballot is in the current count; false if a later correction replaced it")
