"""The shape of a compound's governance and the branch's work, as partners read them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import strawberry
from graphql import GraphQLError
from psycopg import sql

from api.context import Info, reading_now
from api.governance import rating
from api.pagination import Connection, page
from services.branch.rating import STARS, stars
from services.common.context import china_date
from services.common.errors import InvalidInput
from services.common.periods import period_bounds, require_period


def local_today() -> date:
    return china_date(reading_now())


@strawberry.type(description="Another body attached to the compound's governance (N位一体).")
class AttachedBody:
    compound_id: strawberry.Private[UUID]
    kind: str = strawberry.field(description="supervisory_committee 监委会, social_organisation, volunteer_team, other")
    name: str
    attached_at: datetime


@strawberry.type(description="Which of the four bodies a compound has now, and what is attached to them.")
class CompoundBodies:
    compound_id: strawberry.Private[UUID]
    branch: bool
    residents_group: bool = strawberry.field(description="Always: every compound has one")
    owners_committee: bool = strawberry.field(description="Elected, not dissolved, within its term")
    committee_term_ends: date | None
    property_company: bool = strawberry.field(description="A company serves the compound")
    property_company_name: str | None
    property_basis: str | None = strawberry.field(description="preliminary 前期物业, owners_contract, interim")
    property_fee_per_m2: Decimal | None = strawberry.field(
        description="The fee a preliminary or interim basis declared, yuan per m² a month (on the owners' "
        "contract, see serviceContracts)")
    two_none: bool = strawberry.field(description="双无小区: neither a property company nor an owners' committee")
    four_in_one: bool = strawberry.field(description="四位一体: all four bodies")

    @strawberry.field(description="Bodies attached besides the four (监委会, social organisations).")
    async def attached(self, info: Info) -> list[AttachedBody]:
        rows = await info.context.rows("SELECT kind, name, attached_at FROM attached_bodies WHERE compound_id = %s"
                                       " ORDER BY attached_at, name", (self.compound_id,))
        return [AttachedBody(compound_id=self.compound_id, **row) for row in rows]

    @staticmethod
    def from_row(row: dict) -> CompoundBodies:
        committee, company = row["has_owners_committee"], row["has_property"]
        return CompoundBodies(
            compound_id=row["compound_id"], branch=row["has_branch"], residents_group=True,
            owners_committee=committee, committee_term_ends=row["committee_term_ends"], property_company=company,
            property_company_name=row["property_company_name"], property_basis=row["property_basis"],
            property_fee_per_m2=row["property_fee_per_m2"], two_none=not committee and not company, four_in_one=row["has_branch"] and committee and company)


@strawberry.type(description="A party member reporting to the branch (双报到) or transferred in (流动党员).")
class BranchMember:
    compound_id: strawberry.Private[UUID]  # where the member lives
    id: UUID
    name: str
    building: str
    kind: str = strawberry.field(description="resident, in_service 在职党员 (双报到) or floating 流动党员")
    organisation: str = strawberry.field(description="The workplace organisation kept, or the one transferred from")
    reported_on: date
    left_on: date | None
    how_left: str | None = strawberry.field(description="left or transferred_out")
    group_building: str | None = strawberry.field(description="The building of the party group the member is in")
    central_households: int | None = strawberry.field(
        description="A central household (党员中心户): the households it looks after")
    on_committee: bool
    secretary: bool

    @staticmethod
    def from_row(row: dict) -> BranchMember:
        return BranchMember(
            compound_id=row["compound_id"], id=row["member_id"], name=row["name"], building=row["building"],
            kind=row["kind"], organisation=row["organisation"], reported_on=row["reported_on"],
            left_on=row["left_on"], how_left=row["how_left"], group_building=row["group_building"],
            central_households=row["central_households"], on_committee=row["on_committee"],
            secretary=row["secretary"])


MEMBERS = sql.SQL(
    "(SELECT m.*, g.building AS group_building, m.member_id = ANY(b.committee) AS on_committee,"
    " m.member_id IS NOT DISTINCT FROM b.secretary AS secretary"
    " FROM branch_members m JOIN branches b USING (branch_id)"
    " LEFT JOIN building_groups g ON g.group_id = m.group_id) AS members")


@strawberry.type(description="A building party group (楼栋党小组).")
class BuildingGroup:
    compound_id: strawberry.Private[UUID]
    id: UUID
    building: str
    leader: str
    members: int


@strawberry.type(description="A branch member's seat on another body (交叉任职), beside that body's own record.")
class CrossAppointment:
    compound_id: strawberry.Private[UUID]
    member: str
    body: str = strawberry.field(description="owners_committee or residents (the council)")
    seat: str
    since: date
    ended_on: date | None
    matched: bool = strawberry.field(
        description="Whether the body's own membership records list the person: the owners' committee in "
        "office, or the residents' council")


@strawberry.type(description="The party branch of a compound (小区党支部).")
class Branch:
    compound_id: strawberry.Private[UUID]
    id: UUID
    name: str
    mode: str = strawberry.field(description="single 单独建, joint 联合建 or affiliated 挂靠建")
    affiliated_to: str | None
    established_at: datetime
    home_compound_id: UUID = strawberry.field(description="Where it was established; a joint branch leads others too")

    @strawberry.field(description="Members reporting now, in every compound the branch leads.")
    async def member_count(self, info: Info) -> int:
        row = await info.context.row("SELECT count(*) AS n FROM branch_members WHERE branch_id = %s"
                                     " AND left_on IS NULL", (self.id,))
        return row["n"]

    @strawberry.field(description="The members living in this compound; with those who left, if asked.")
    async def members(self, info: Info, first: int | None = None, after: str | None = None,
                      include_left: bool = False) -> Connection[BranchMember] | None:
        where = [sql.SQL("branch_id = %s"), sql.SQL("compound_id = %s")]
        if not include_left:
            where.append(sql.SQL("left_on IS NULL"))
        return await page(info, table=MEMBERS, where=where, params=[self.id, self.compound_id],
                          key=("building", "member_id"), first=first, after=after, node=BranchMember.from_row)

    @strawberry.field(description="Building party groups in this compound, with their leader and size.")
    async def groups(self, info: Info) -> list[BuildingGroup]:
        rows = await info.context.rows(
            "SELECT g.group_id, g.building, l.name AS leader,"
            " (SELECT count(*) FROM branch_members m WHERE m.group_id = g.group_id AND m.left_on IS NULL) AS members"
            " FROM building_groups g JOIN branch_members l ON l.member_id = g.leader"
            " WHERE g.branch_id = %s AND g.compound_id = %s ORDER BY g.building", (self.id, self.compound_id))
        return [BuildingGroup(compound_id=self.compound_id, id=r["group_id"], building=r["building"],
                              leader=r["leader"], members=r["members"]) for r in rows]


@strawberry.type(description="A joint meeting (联席会议) the branch convened, with each body's attendance.")
class JointMeeting:
    compound_id: UUID
    id: UUID
    held_on: date
    topic: str
    bodies: list[str]
    attendees: list[int] = strawberry.field(description="People attending, body by body")
    decisions: list[str]


@strawberry.type(description="A suggestion (建议) of the branch to another body, and that body's answer.")
class Suggestion:
    compound_id: UUID
    id: UUID
    addressed_to: str
    subject: str
    text: str
    made_on: date
    answer_by: date
    response: str | None = strawberry.field(description="accepted, partly or declined; null while unanswered")
    reason: str | None
    answered_on: date | None
    overdue: bool = strawberry.field(description="Unanswered after its deadline")

    @staticmethod
    def from_row(row: dict) -> Suggestion:
        return Suggestion(
            compound_id=row["compound_id"], id=row["suggestion_id"], addressed_to=row["addressed_to"],
            subject=row["subject"], text=row["text"], made_on=row["made_on"], answer_by=row["answer_by"],
            response=row["response"], reason=row["reason"], answered_on=row["answered_on"],
            overdue=row["answered_on"] is None and row["answer_by"] < local_today())


@strawberry.type(description="A supervision notice (监督) to rectify by a date, through its rounds.")
class SupervisionNotice:
    compound_id: UUID
    id: UUID
    addressed_to: str
    matter: str
    requirement: str
    issued_on: date
    rectify_by: date = strawberry.field(description="The deadline of the current round")
    round: int
    state: str = strawberry.field(description="open (awaiting rectification), reported, or closed")
    report: str | None
    reported_on: date | None
    note: str | None = strawberry.field(description="The branch's note on closing, or its reason for re-opening")
    overdue: bool = strawberry.field(description="Open after its deadline: not rectified in time")

    @staticmethod
    def from_row(row: dict) -> SupervisionNotice:
        return SupervisionNotice(
            compound_id=row["compound_id"], id=row["notice_id"], addressed_to=row["addressed_to"],
            matter=row["matter"], requirement=row["requirement"], issued_on=row["issued_on"],
            rectify_by=row["rectify_by"], round=row["round"], state=row["state"], report=row["report"],
            reported_on=row["reported_on"], note=row["note"],
            overdue=row["state"] == "open" and row["rectify_by"] < local_today())


@strawberry.type(description="Candidates the branch recommended (人事) for the owners' committee or council.")
class Recommendation:
    compound_id: UUID
    id: UUID
    recommended_to: str
    candidates: list[str]
    note: str
    recommended_at: datetime


@strawberry.type(description="An evaluation (评议) of the property company or the owners' committee.")
class Evaluation:
    compound_id: UUID
    id: UUID
    evaluated: str
    title: str
    closes_on: date
    opened_at: datetime
    sheets: int
    average: Decimal | None = strawberry.field(description="Average score (1 to 5) once published")
    resident_sheets: int | None
    member_sheets: int | None
    verdict: str | None = strawberry.field(description="satisfied, basically_satisfied or dissatisfied")
    published_at: datetime | None

    @staticmethod
    def from_row(row: dict) -> Evaluation:
        return Evaluation(id=row["evaluation_id"], **{k: v for k, v in row.items()
                                                      if k in Evaluation.__annotations__ and k != "id"})


@strawberry.type(description="The thresholds of one star count, declared once (services.branch.rating).")
class StarThreshold:
    stars: int
    member_participation: Decimal
    resident_participation: Decimal
    satisfaction: Decimal


@strawberry.type(description="An event a star rating's figure counts, with the figure it counts in.")
class RatingEvidence:
    compound_id: strawberry.Private[UUID]
    event_id: UUID
    body: str
    kind: str
    on_date: date
    figure: str
    detail: str | None


@strawberry.type(description="A branch's star rating (星级联创) for a period, with the figures it rests on.")
class StarRating:
    compound_id: strawberry.Private[UUID]
    branch_id: UUID
    period: str
    starts_on: date
    ends_on: date
    stars: int = strawberry.field(description="0 (no star yet) to 3")
    members: int = strawberry.field(description="Members reported at some time in the period")
    participating_members: int = strawberry.field(description="Of them, those who took part in activities or cases")
    member_participation: Decimal | None
    residents: int = strawberry.field(description="Residents of the compounds the branch leads")
    resident_participations: int = strawberry.field(
        description="Residents who raised or rated a case, attendances, residents' evaluation sheets")
    resident_participation: Decimal | None = strawberry.field(description="At most 1")
    scores: int = strawberry.field(description="Case ratings and evaluation scores in the period")
    satisfaction: Decimal | None = strawberry.field(description="Their average, 1 to 5")
    thresholds: list[StarThreshold]

    @strawberry.field(description="The events behind the figures, by date.")
    async def evidence(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[RatingEvidence]:
        params = rating.parameters([self.branch_id], self.starts_on, self.ends_on)
        return await page(info, table=rating.evidence_source(), where=[], params=params,
                          key=("on_date", "event_id"), first=first, after=after,
                          node=lambda r: RatingEvidence(compound_id=self.compound_id, **r))

    @staticmethod
    def of(row: dict, compound_id: UUID, period: str) -> StarRating:
        figures = rating.figures_of(row)
        starts_on, ends_on = period_bounds(period)
        return StarRating(
            compound_id=compound_id, branch_id=row["branch_id"], period=period, starts_on=starts_on, ends_on=ends_on,
            stars=stars(figures), members=figures.members, participating_members=figures.participating_members,
            member_participation=figures.member_participation, residents=figures.residents,
            resident_participations=figures.resident_participations,
            resident_participation=figures.resident_participation, scores=figures.scores,
            satisfaction=figures.satisfaction,
            thresholds=[StarThreshold(stars=n, member_participation=t.member_participation,
                                      resident_participation=t.resident_participation, satisfaction=t.satisfaction)
                        for n, t in sorted(STARS.items())])


def period_or_this_year(period: str | None) -> str:
    """The period asked for (a year, quarter or month), or the current year in China."""
    if period is None:
        return str(local_today().year)
    try:
        return require_period(period)
    except InvalidInput as error:
        raise GraphQLError(error.message, extensions={"code": error.code, "field": "period"}) from None


async def figures_rows(info: Info, branches: list[UUID], period: str) -> list[dict]:
    starts_on, ends_on = period_bounds(period)
    return await info.context.rows(rating.FIGURES, rating.parameters(branches, starts_on, ends_on))
