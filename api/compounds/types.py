"""Compounds as partners see them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

import strawberry
from psycopg import sql

from api.context import Info
from api.governance.types import (
    Branch, CompoundBodies, CrossAppointment, Evaluation, JointMeeting, Recommendation, StarRating, Suggestion,
    SupervisionNotice, figures_rows, period_or_this_year,
)
from api.pagination import Connection, page


@strawberry.type(description="An exclusive unit (专有部分) and its owner, in the owners' electorate.")
class ExclusiveUnit:
    compound_id: strawberry.Private[UUID]
    subject: strawberry.Private[str]  # the resident of the unit
    id: UUID
    building: str
    unit: str
    exclusive_area: Decimal
    owner: str
    registered_at: datetime

    @staticmethod
    def from_row(row: dict) -> ExclusiveUnit:
        return ExclusiveUnit(
            compound_id=row["compound_id"], subject=f"resident:{row['compound_id']}:{row['unit']}",
            id=row["unit_id"], building=row["building"], unit=row["unit"],
            exclusive_area=row["exclusive_area"], owner=row["owner"],
            registered_at=row["registered_at"],
        )


@strawberry.type(description="A residential compound (小区) and the shape of its governance.")
class Compound:
    id: UUID
    name: str
    district: str
    street: str
    community: str
    households: int
    residents: int
    registered_at: datetime
    bodies: CompoundBodies
    branch: Branch | None = strawberry.field(description="The party branch leading it now")
    # Its units counted in the query that read it, when the request asks for their totalCount
    # (``CompoundQueries.compound``): one round trip to PostgreSQL instead of two.
    unit_count: strawberry.Private[int | None] = None

    @property
    def compound_id(self) -> UUID:
        return self.id

    @strawberry.field(description="The exclusive units registered by the owners' committee: the "
                      "electorate, for the committee, the branch and auditors (null for others).")
    async def units(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[ExclusiveUnit] | None:
        return await page(info, table="exclusive_units", where=[sql.SQL("compound_id = %s")], params=[self.id],
                          key=("building", "unit"), first=first, after=after, node=ExclusiveUnit.from_row,
                          counted=self.unit_count)

    @strawberry.field(description="Branch members' seats on the owners' committee and the residents' council "
                      "(交叉任职), each matched against that body's own records.")
    async def cross_appointments(self, info: Info, include_ended: bool = False) -> list[CrossAppointment]:
        rows = await info.context.rows(
            "SELECT m.name, a.seated_body, a.seat, a.since, a.ended_on, coalesce(CASE a.seated_body"
            "   WHEN 'owners_committee' THEN s.has_owners_committee AND m.name = ANY(s.committee_members)"
            "   ELSE EXISTS (SELECT FROM council_members cm WHERE cm.compound_id = m.compound_id"
            "                AND cm.name = m.name AND cm.left_on IS NULL) END, false) AS matched"
            " FROM cross_appointments a JOIN branch_members m USING (member_id)"
            " JOIN compound_shapes s ON s.compound_id = m.compound_id"
            " WHERE m.compound_id = %s AND (%s OR a.ended_on IS NULL) ORDER BY a.since, m.name",
            (self.id, include_ended))
        return [CrossAppointment(compound_id=self.id, member=r["name"], body=r["seated_body"], seat=r["seat"],
                                 since=r["since"], ended_on=r["ended_on"], matched=r["matched"]) for r in rows]

    @strawberry.field(description="The branch's suggestions to the compound's bodies, the nearest deadline "
                      "first; only those awaiting an answer, if open.")
    async def suggestions(self, info: Info, open: bool | None = None, first: int | None = None,  # noqa: A002
                          after: str | None = None) -> Connection[Suggestion]:
        where = [sql.SQL("compound_id = %s"), sql.SQL("made_on IS NOT NULL")]
        if open is not None:
            where.append(sql.SQL("(answered_on IS NULL) = %s"))
        return await page(info, table="suggestions", where=where,
                          params=[self.id, *([open] if open is not None else [])],
                          key=("answer_by", "suggestion_id"), first=first, after=after, node=Suggestion.from_row)

    @strawberry.field(description="The branch's supervision notices, the nearest deadline first; only those "
                      "not closed, if open.")
    async def supervision_notices(self, info: Info, open: bool | None = None, first: int | None = None,  # noqa: A002
                                  after: str | None = None) -> Connection[SupervisionNotice]:
        where = [sql.SQL("compound_id = %s")]
        if open is not None:
            where.append(sql.SQL("(state <> 'closed') = %s"))
        return await page(info, table="supervision_notices", where=where,
                          params=[self.id, *([open] if open is not None else [])],
                          key=("rectify_by", "notice_id"), first=first, after=after,
                          node=SupervisionNotice.from_row)

    @strawberry.field(description="Joint meetings (联席会议), the earliest first.")
    async def joint_meetings(self, info: Info, first: int | None = None,
                             after: str | None = None) -> Connection[JointMeeting]:
        return await page(info, table="joint_meetings", where=[sql.SQL("compound_id = %s")], params=[self.id],
                          key=("held_on", "meeting_id"), first=first, after=after,
                          node=lambda r: JointMeeting(id=r["meeting_id"], compound_id=r["compound_id"],
                                                      held_on=r["held_on"], topic=r["topic"], bodies=r["bodies"],
                                                      attendees=r["attendees"], decisions=r["decisions"]))

    @strawberry.field(description="Candidates the branch recommended (人事).")
    async def recommendations(self, info: Info) -> list[Recommendation]:
        rows = await info.context.rows("SELECT * FROM recommendations WHERE compound_id = %s ORDER BY recommended_at",
                                       (self.id,))
        return [Recommendation(id=r["recommendation_id"], compound_id=r["compound_id"],
                               recommended_to=r["recommended_to"], candidates=r["candidates"], note=r["note"],
                               recommended_at=r["recommended_at"]) for r in rows]

    @strawberry.field(description="Evaluations (评议), the latest first.")
    async def evaluations(self, info: Info) -> list[Evaluation]:
        rows = await info.context.rows("SELECT * FROM evaluations WHERE compound_id = %s ORDER BY opened_at DESC",
                                       (self.id,))
        return [Evaluation.from_row(r) for r in rows]

    @strawberry.field(description="The latest evaluation whose result is published.")
    async def latest_evaluation(self, info: Info) -> Evaluation | None:
        row = await info.context.row("SELECT * FROM evaluations WHERE compound_id = %s AND published_at IS NOT NULL"
                                     " ORDER BY published_at DESC LIMIT 1", (self.id,))
        return Evaluation.from_row(row) if row else None

    @strawberry.field(description="The star rating of the branch leading it, for a period (2026, 2026-Q4, "
                      "2026-11; this year if not given); null without a branch.")
    async def star_rating(self, info: Info, period: str | None = None) -> StarRating | None:
        if self.branch is None:
            return None
        period = period_or_this_year(period)
        (row,) = await figures_rows(info, [self.branch.id], period)
        return StarRating.of(row, self.id, period)

    @staticmethod
    def from_row(row: dict) -> Compound:
        branch = None
        if row["branch_id"] is not None:
            branch = Branch(compound_id=row["compound_id"], id=row["branch_id"], name=row["branch_name"],
                            mode=row["branch_mode"], affiliated_to=row["branch_affiliated_to"],
                            established_at=row["branch_established_at"], home_compound_id=row["branch_home"])
        return Compound(
            id=row["compound_id"], name=row["name"], district=row["district"],
            street=row["street"], community=row["community"], households=row["households"],
            residents=row["residents"], registered_at=row["registered_at"], branch=branch,
            bodies=CompoundBodies.from_row(row), unit_count=row.get("unit_count"),
        )
