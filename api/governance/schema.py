"""The branch, the shape of governance and the five powers over GraphQL: the commands of each body,
and what supervisors above the compound watch across their jurisdiction (coverage, star ratings,
overdue items, satisfaction)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import psycopg
import strawberry
from psycopg import sql
from psycopg.rows import dict_row

from api.commands import fields_of, recording
from api.context import Info
from api.errors import InvalidInput, NotAllowed, NotFound, RuleViolated, Unavailable, problem_of
from api.governance import rating
from api.governance.types import figures_rows, local_today, period_or_this_year
from api.pagination import Connection, page
from services.branch.rating import stars
from services.common.errors import DomainError
from services.common.periods import period_bounds

# -- jurisdiction --------------------------------------------------------------------------------


@strawberry.type(description="Which bodies the compounds of an area have (两个覆盖, 双无小区).")
class Coverage:
    compounds: int
    with_branch: int
    with_owners_committee: int
    with_property_company: int
    four_in_one: int = strawberry.field(description="四位一体: all four bodies")
    two_none: int = strawberry.field(description="双无小区: neither a property company nor an owners' committee")
    with_none: int = strawberry.field(description="No branch, no owners' committee, no property company")


@strawberry.type(description="How many branches have a number of stars.")
class RatingBand:
    stars: int
    branches: int


@strawberry.type(description="The star ratings of the branches leading an area's compounds, for a period.")
class RatingDistribution:
    period: str
    branches: int
    bands: list[RatingBand] = strawberry.field(description="From 0 (no star yet) to 3")


@strawberry.type(description="A suggestion unanswered, or a supervision notice unrectified, past its deadline.")
class OverdueItem:
    compound_id: UUID
    compound_name: str
    kind: str = strawberry.field(description="suggestion or supervision_notice")
    id: UUID
    addressed_to: str
    subject: str
    deadline: date
    days_overdue: int


@strawberry.type(description="A compound's place by satisfaction: case ratings and evaluation scores.")
class SatisfactionRank:
    compound_id: UUID
    compound_name: str
    rank: int
    satisfaction: Decimal | None = strawberry.field(description="Average of 1 to 5; null without any score")
    scores: int


OVERDUE = sql.SQL("""(
    SELECT s.compound_id, c.name AS compound_name, 'suggestion' AS kind, s.suggestion_id AS id, s.addressed_to,
           s.subject, s.answer_by AS deadline
    FROM suggestions s JOIN compound_shapes c USING (compound_id)
    WHERE s.answered_on IS NULL AND s.answer_by < %(today)s AND {where}
    UNION ALL
    SELECT n.compound_id, c.name, 'supervision_notice', n.notice_id, n.addressed_to, n.matter, n.rectify_by
    FROM supervision_notices n JOIN compound_shapes c USING (compound_id)
    WHERE n.state = 'open' AND n.rectify_by < %(today)s AND {where}
) AS overdue""")

RANKING = sql.SQL("""(
    SELECT *, row_number() OVER (ORDER BY satisfaction DESC NULLS LAST, compound_name, compound_id) AS rank
    FROM (
        SELECT c.compound_id, c.name AS compound_name, count(s.score) AS scores,
               round(avg(s.score), 2) AS satisfaction
        FROM compound_shapes c LEFT JOIN (
            SELECT compound_id, score FROM case_ratings
            WHERE (rated_at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN %(start)s AND %(end)s
            UNION ALL
            SELECT compound_id, score FROM evaluation_scores
            WHERE (scored_at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN %(start)s AND %(end)s
        ) s USING (compound_id)
        WHERE {where}
        GROUP BY c.compound_id, c.name) AS figures
) AS ranking""")


def area(info: Info, district: str | None, street: str | None,
         community: str | None) -> tuple[sql.Composable, dict[str, Any]]:
    """The area's conditions on ``compound_shapes`` as one, with their named parameters."""
    where, params = info.context.within(district=district, street=street, community=community)
    return sql.SQL(" AND ").join(where or [sql.SQL("true")]), params


@strawberry.type
class GovernanceQueries:
    @strawberry.field(description="Coverage of an area (district, street or community; all you reach if none).")
    async def coverage(self, info: Info, district: str | None = None, street: str | None = None,
                       community: str | None = None) -> Coverage:
        condition, params = area(info, district, street, community)
        statement = sql.SQL(
            "SELECT count(*) AS compounds, count(*) FILTER (WHERE has_branch) AS with_branch,"
            " count(*) FILTER (WHERE has_owners_committee) AS with_owners_committee,"
            " count(*) FILTER (WHERE has_property) AS with_property_company,"
            " count(*) FILTER (WHERE has_branch AND has_owners_committee AND has_property) AS four_in_one,"
            " count(*) FILTER (WHERE NOT has_owners_committee AND NOT has_property) AS two_none,"
            " count(*) FILTER (WHERE NOT has_branch AND NOT has_owners_committee AND NOT has_property) AS with_none"
            " FROM compound_shapes WHERE {}").format(condition)

        async def read(conn: psycopg.AsyncConnection) -> Coverage:
            async with conn.cursor(row_factory=dict_row) as cur:
                return Coverage(**await (await cur.execute(statement, params)).fetchone())

        # Remembered: a street office's dashboard asks it again and again, and it changes rarely.
        return await info.context.memory.answer(
            ("coverage", info.context.reach, district, street, community, local_today()), read)

    @strawberry.field(description="Star ratings of the branches leading an area's compounds, by stars.")
    async def rating_distribution(self, info: Info, period: str | None = None, district: str | None = None,
                                  street: str | None = None, community: str | None = None) -> RatingDistribution:
        period = period_or_this_year(period)
        condition, params = area(info, district, street, community)
        rows = await info.context.rows(sql.SQL(
            "SELECT DISTINCT branch_id FROM compound_shapes WHERE has_branch AND {}").format(condition), params)
        counted = Counter(stars(rating.figures_of(r)) for r in await figures_rows(
            info, [r["branch_id"] for r in rows], period))
        return RatingDistribution(period=period, branches=len(rows),
                                  bands=[RatingBand(stars=n, branches=counted[n]) for n in range(4)])

    @strawberry.field(description="Suggestions unanswered and notices unrectified past their deadline, in an "
                      "area, the longest overdue first.")
    async def overdue_items(self, info: Info, first: int | None = None, after: str | None = None,
                            district: str | None = None, street: str | None = None,
                            community: str | None = None) -> Connection[OverdueItem]:
        today = local_today()
        condition, params = area(info, district, street, community)
        return await page(info, table=OVERDUE.format(where=condition), where=[], params={**params, "today": today},
                          key=("deadline", "id"), first=first, after=after,
                          node=lambda r: OverdueItem(days_overdue=(today - r["deadline"]).days, **r))

    @strawberry.field(description="An area's compounds ranked by satisfaction over a period (this year if not "
                      "given): case ratings and evaluation scores together.")
    async def satisfaction_ranking(self, info: Info, period: str | None = None, first: int | None = None,
                                   after: str | None = None, district: str | None = None,
                                   street: str | None = None,
                                   community: str | None = None) -> Connection[SatisfactionRank]:
        start, end = period_bounds(period_or_this_year(period))
        condition, params = area(info, district, street, community)
        return await page(info, table=RANKING.format(where=condition), where=[],
                          params={**params, "start": start, "end": end},
                          key=("rank",), first=first, after=after, node=lambda r: SatisfactionRank(**r))


# -- commands ------------------------------------------------------------------------------------


@strawberry.type(description="A command was recorded and created something within its aggregate.")
class Created:
    body: str
    aggregate_id: UUID
    version: int
    id: UUID = strawberry.field(description="The id of what it created (a member, a group)")


CreatedResult = Annotated[Created | InvalidInput | NotFound | RuleViolated | NotAllowed | Unavailable,
                          strawberry.union("CreatedResult")]


def creating(method: str, input_type: type, description: str) -> Any:
    """A branch mutation whose command answers with what it created."""

    async def resolve(self: Any, info: Info, input: Any) -> CreatedResult:  # noqa: A002
        command = getattr(info.context.services.branch, method)
        try:
            receipt, created = await info.context.command(info.path.key, command, **fields_of(input))
        except DomainError as error:
            return problem_of(error, f"Mutation.{info.field_name}")
        return Created(body=receipt.body.value, aggregate_id=receipt.aggregate_id, version=receipt.version,
                       id=created)

    resolve.__annotations__["input"] = input_type
    return strawberry.mutation(resolve, description=description)


@strawberry.input
class DissolveBranchInput:
    compound_id: UUID
    dissolved_on: date
    reason: str


@strawberry.input
class AttachedBodyInput:
    compound_id: UUID
    kind: str = strawberry.field(description="supervisory_committee, social_organisation, volunteer_team, other")
    name: str


@strawberry.input
class ReportMemberInput:
    compound_id: UUID = strawberry.field(description="Where the member lives")
    name: str
    building: str
    kind: str = strawberry.field(description="resident, in_service (双报到) or floating (流动党员)")
    reported_on: date
    organisation: str = strawberry.field(default="", description="The workplace kept, or the one transferred from")


@strawberry.input
class ReleaseMemberInput:
    compound_id: UUID
    member_id: UUID
    how: str = strawberry.field(description="left or transferred_out")
    left_on: date
    reason: str
    destination: str = strawberry.field(default="", description="The organisation transferred to")


@strawberry.input
class BranchCommitteeInput:
    compound_id: UUID
    secretary: UUID
    members: list[UUID]
    chosen_on: date


@strawberry.input
class BuildingGroupInput:
    compound_id: UUID
    building: str
    leader: UUID


@strawberry.input
class AssignToGroupInput:
    compound_id: UUID
    group_id: UUID
    member_id: UUID


@strawberry.input
class CentralHouseholdInput:
    compound_id: UUID
    member_id: UUID
    households: int


@strawberry.input
class CrossAppointmentInput:
    compound_id: UUID
    member_id: UUID
    body: str = strawberry.field(description="owners_committee or residents (the council)")
    seat: str
    since: date


@strawberry.input
class EndCrossAppointmentInput:
    compound_id: UUID
    member_id: UUID
    body: str
    ended_on: date


@strawberry.input
class BranchActivityInput:
    compound_id: UUID
    held_on: date
    title: str
    participants: list[UUID]
    residents_attending: int = 0


@strawberry.input
class JointMeetingInput:
    compound_id: UUID
    held_on: date
    topic: str
    bodies: list[str] = strawberry.field(description="branch, residents, owners_committee, property")
    attendees: list[int] = strawberry.field(description="People attending, one number per body")
    decisions: list[str]


@strawberry.input
class SuggestionInput:
    compound_id: UUID
    addressed_to: str = strawberry.field(description="residents, owners_committee or property")
    subject: str
    text: str
    made_on: date
    answer_by: date


@strawberry.input
class SupervisionNoticeInput:
    compound_id: UUID
    addressed_to: str = strawberry.field(description="owners_committee or property")
    matter: str
    requirement: str
    issued_on: date
    rectify_by: date


@strawberry.input
class CloseNoticeInput:
    compound_id: UUID
    notice_id: UUID
    note: str


@strawberry.input
class ReopenNoticeInput:
    compound_id: UUID
    notice_id: UUID
    reason: str
    rectify_by: date


@strawberry.input
class RecommendCandidatesInput:
    compound_id: UUID
    recommended_to: str = strawberry.field(description="owners_committee or residents (the council)")
    candidates: list[str]
    note: str = ""


@strawberry.input
class OpenEvaluationInput:
    compound_id: UUID
    evaluated: str = strawberry.field(description="property or owners_committee")
    title: str
    closes_on: date


@strawberry.input
class ScoreEvaluationInput:
    compound_id: UUID
    evaluation_id: UUID
    rater_kind: str = strawberry.field(description="resident or member")
    rater: str = strawberry.field(description="Who filled the sheet (a unit, a member): one sheet each")
    score: int = strawberry.field(description="1 to 5")


@strawberry.input
class PublishEvaluationInput:
    compound_id: UUID
    evaluation_id: UUID


@strawberry.input
class AnswerSuggestionInput:
    compound_id: UUID
    suggestion_id: UUID
    response: str = strawberry.field(description="accepted, partly or declined (with a reason)")
    answered_on: date
    reason: str = ""


@strawberry.input
class ReportRectificationInput:
    compound_id: UUID
    notice_id: UUID
    report: str
    reported_on: date


@strawberry.input
class TakeUpServiceInput:
    compound_id: UUID
    company_id: UUID
    basis: str = strawberry.field(description="preliminary 前期物业, owners_contract, or interim 应急托管")
    since: date
    fee_per_m2: Decimal | None = strawberry.field(default=None, description="On a preliminary or interim basis: "
                                                  "the fee it sets, yuan per m² a month (the owners' contract sets "
                                                  "its own)")


@strawberry.input(description="The fee a preliminary or interim basis bills at, declared or changed.")
class DeclareServiceFeeInput:
    compound_id: UUID
    fee_per_m2: Decimal = strawberry.field(description="Yuan per m² a month")
    since: date


@strawberry.input
class HandOverServiceInput:
    compound_id: UUID
    until: date
    reason: str


@strawberry.input
class DissolveCommitteeInput:
    compound_id: UUID
    dissolved_on: date
    reason: str


@strawberry.input
class SeatCouncilMemberInput:
    compound_id: UUID
    name: str
    role: str
    joined_on: date


@strawberry.input
class UnseatCouncilMemberInput:
    compound_id: UUID
    name: str
    left_on: date
    reason: str


@strawberry.type
class GovernanceMutations:
    dissolve_branch = recording("branch", "dissolve_branch", DissolveBranchInput,
                                "Dissolves the compound's branch; its members have left or transferred out.")
    attach_body = recording("branch", "attach_body", AttachedBodyInput,
                            "Attaches another body to the compound's governance (N位一体).")
    detach_body = recording("branch", "detach_body", AttachedBodyInput, "Detaches an attached body.")
    report_member = creating("report_member", ReportMemberInput,
                             "A member reports where they live (双报到) or transfers in (流动党员).")
    release_member = recording("branch", "release_member", ReleaseMemberInput,
                               "A member leaves the branch or transfers out.")
    choose_branch_committee = recording("branch", "choose_branch_committee", BranchCommitteeInput,
                                        "Records the branch's secretary and committee.")
    form_building_group = creating("form_building_group", BuildingGroupInput,
                                   "Forms a building party group (楼栋党小组).")
    assign_to_group = recording("branch", "assign_to_group", AssignToGroupInput,
                                "Puts a member in a building party group.")
    designate_central_household = recording("branch", "designate_central_household", CentralHouseholdInput,
                                            "Makes a member's household a central household (党员中心户).")
    record_cross_appointment = recording("branch", "record_cross_appointment", CrossAppointmentInput,
                                         "Records a member's seat on another body (交叉任职).")
    end_cross_appointment = recording("branch", "end_cross_appointment", EndCrossAppointmentInput,
                                      "Records that a member's seat on another body ended.")
    record_branch_activity = recording("branch", "record_activity", BranchActivityInput,
                                       "Records an activity of the branch and the members who took part.")
    hold_joint_meeting = recording("branch", "hold_joint_meeting", JointMeetingInput,
                                   "议事: records a joint meeting (联席会议) of the compound's bodies.")
    make_suggestion = recording("branch", "make_suggestion", SuggestionInput,
                                "建议: a suggestion to another body, to be answered by a date.")
    issue_supervision_notice = recording("branch", "issue_supervision_notice", SupervisionNoticeInput,
                                         "监督: a notice to rectify by a date.")
    close_supervision_notice = recording("branch", "close_supervision_notice", CloseNoticeInput,
                                         "Closes a notice whose rectification was reported.")
    reopen_supervision_notice = recording("branch", "reopen_supervision_notice", ReopenNoticeInput,
                                          "Re-opens a notice with a new deadline.")
    recommend_candidates = recording("branch", "recommend_candidates", RecommendCandidatesInput,
                                     "人事: recommends candidates for the owners' committee or the council.")
    open_evaluation = recording("branch", "open_evaluation", OpenEvaluationInput,
                                "评议: opens an evaluation of the property company or the owners' committee.")
    score_evaluation = recording("branch", "score_evaluation", ScoreEvaluationInput,
                                 "Records one rater's sheet in an evaluation.")
    publish_evaluation = recording("branch", "publish_evaluation", PublishEvaluationInput,
                                   "Publishes an evaluation's result.")
    answer_suggestion = recording(None, "answer_suggestion", AnswerSuggestionInput,
                                 "The body addressed answers a suggestion of the branch.")
    report_rectification = recording(None, "report_rectification", ReportRectificationInput,
                                    "The body addressed reports its rectification on a supervision notice.")
    take_up_service = recording("property", "take_up_service", TakeUpServiceInput,
                                "A property company starts serving the compound (进驻).")
    declare_service_fee = recording("property", "declare_service_fee", DeclareServiceFeeInput,
                                    "Declares the fee a preliminary or interim basis bills at.")
    hand_over_service = recording("property", "hand_over_service", HandOverServiceInput,
                                  "The serving property company leaves the compound (撤出).")
    dissolve_owners_committee = recording("owners_committee", "dissolve_committee", DissolveCommitteeInput,
                                          "The owners' committee ceases before its term ends.")
    seat_council_member = recording("residents", "seat_council_member", SeatCouncilMemberInput,
                                    "Seats a member of the residents' council (居民议事会).")
    unseat_council_member = recording("residents", "unseat_council_member", UnseatCouncilMemberInput,
                                      "Records that a member left the residents' council.")

