"""Problems worth a month (每月一题): the clusters of an area's requests by category and place that
recur across compounds, ranked; what a street office chose and decided; and whether the chosen
cluster shrank after. Also the street's weights of its figures, set by its office."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

import strawberry
from psycopg import sql

from api.commands import recording
from api.context import Info, reading_now
from api.governance.schema import area
from api.governance.types import local_today, period_or_this_year
from api.pagination import Connection, page, page_list
from api.street.figures import REPEATED, Rate, counting, period_span
from services.common.periods import period_of

# Each cluster: a category and a common area (楼道, 电梯, 车棚 … or 户内, 楼栋), over the area's cases
# raised in the period.
CLUSTERS = sql.SQL(f"""
WITH area AS (SELECT compound_id, name FROM compound_shapes WHERE {{where}}),
raised AS (
    SELECT c.case_id, c.compound_id, area.name AS compound_name, c.category, c.area, c.building,
           {REPEATED} AS repeated
    FROM cases c JOIN area USING (compound_id)
    WHERE c.raised_at >= %(since)s AND c.raised_at < %(before)s AND c.area IS NOT NULL),
rated AS (
    SELECT r.case_id, count(*) AS ratings, count(*) FILTER (WHERE r.score < %(satisfied)s) AS dissatisfied
    FROM case_ratings r JOIN raised USING (case_id) GROUP BY r.case_id)
SELECT category, area, count(*) AS cases, count(DISTINCT compound_id) AS compounds,
       count(*) FILTER (WHERE repeated) AS repeated, coalesce(sum(ratings), 0)::int AS ratings,
       coalesce(sum(dissatisfied), 0)::int AS dissatisfied,
       array_agg(DISTINCT compound_id) AS compound_ids
FROM raised LEFT JOIN rated USING (case_id)
GROUP BY category, area
HAVING count(DISTINCT compound_id) >= %(least)s
""")
CLUSTER_CASES = sql.SQL("""(
    SELECT c.case_id, c.compound_id, s.name AS compound_name, c.building, c.raised_at, c.state, c.reopened
    FROM cases c JOIN compound_shapes s USING (compound_id)
    WHERE c.compound_id = ANY(%(compounds)s) AND c.category = %(category)s AND c.area = %(area)s
      AND c.raised_at >= %(since)s AND c.raised_at < %(before)s
) AS cluster_cases""")
FOLLOW_UP_MONTHS = 12


@strawberry.type(description="A case behind a cluster (no personal data: where, when and how it went).")
class ClusterCase:
    case_id: UUID
    compound_id: UUID
    compound_name: str
    building: str = strawberry.field(description="The building its location names, or empty")
    raised_at: datetime
    state: str
    reopened: bool


@strawberry.type(description="Requests of one category at one kind of place, across an area's compounds.")
class ProblemCluster:
    compound_ids: strawberry.Private[list[UUID]]
    span: strawberry.Private[tuple[datetime, datetime]]
    rank: int
    category: str
    area: str = strawberry.field(description="The common area the locations name (楼道, 电梯, 车棚 …), 楼栋 for a "
                                 "building itself, 户内 for a home")
    cases: int
    compounds: int = strawberry.field(description="How many compounds raised it")
    repeated: Rate = strawberry.field(description="Cases repeating one of the same place in the 30 days before")
    dissatisfaction: Rate = strawberry.field(description="Ratings below 4, of ratings of its cases")

    @strawberry.field(description="The cases behind the cluster, the earliest first.")
    async def case_list(self, info: Info, first: int | None = None,
                        after: str | None = None) -> Connection[ClusterCase]:
        since, before = self.span
        params = {"compounds": self.compound_ids, "category": self.category, "area": self.area, "since": since,
                  "before": before}
        return await page(info, table=CLUSTER_CASES, where=[], params=params, key=("raised_at", "case_id"),
                          first=first, after=after, node=lambda r: ClusterCase(**r))


async def clusters(info: Info, period: str, where: sql.Composable, params: dict,
                   least: int, category: str | None = None, area_name: str | None = None) -> list[ProblemCluster]:
    since, before = period_span(period)
    rows = await info.context.rows(CLUSTERS.format(where=where), {
        **params, **counting(since, before, reading_now()), "least": least})
    rows = [r for r in rows if (category is None or r["category"] == category)
            and (area_name is None or r["area"] == area_name)]
    rows.sort(key=lambda r: (-r["cases"], -r["repeated"] / r["cases"],
                             -(r["dissatisfied"] / r["ratings"] if r["ratings"] else 0), r["category"], r["area"]))
    return [ProblemCluster(compound_ids=r["compound_ids"], span=(since, before), rank=n + 1, category=r["category"],
                           area=r["area"], cases=r["cases"], compounds=r["compounds"],
                           repeated=Rate.of(r["repeated"], r["cases"]),
                           dissatisfaction=Rate.of(r["dissatisfied"], r["ratings"]))
            for n, r in enumerate(rows)]


@strawberry.type(description="The chosen cluster in one month: did it shrink?")
class ProblemMonth:
    period: str
    cases: int
    compounds: int
    repeated: int


@strawberry.type(description="每月一题: the problem a street took up for a month, and what it decided.")
class MonthlyProblem:
    street: str
    period: str
    category: str
    area: str
    title: str
    decision: str
    chosen_at: datetime

    @strawberry.field(description="The chosen cluster's requests in the street, the month chosen and each month "
                      "after (up to 12, to this one): the figures show whether it shrank. Counts only the "
                      "compounds you reach.")
    async def follow_up(self, info: Info) -> list[ProblemMonth]:
        months, month, this_month = [], self.period, period_of(local_today(), self.period)
        while len(months) <= FOLLOW_UP_MONTHS and month <= this_month:
            months.append(month)
            month = following(month)
        condition, params = area(info, None, self.street, None)
        found = []
        for month in months:
            cluster = await clusters(info, month, condition, params, 1, self.category, self.area)
            found.append(ProblemMonth(period=month, cases=cluster[0].cases if cluster else 0,
                                      compounds=cluster[0].compounds if cluster else 0,
                                      repeated=cluster[0].repeated.numerator if cluster else 0))
        return found


def following(month: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    return f"{year + number // 12}-{number % 12 + 1:02d}"


@strawberry.input(description="The weights of the street's 三率 in its composite score, from a period on.")
class FigureWeightsInput:
    street: str
    response: Decimal
    resolution: Decimal
    satisfaction: Decimal
    since: str = strawberry.field(description="The first period they apply to (2026-12)")


@strawberry.input(description="每月一题: the problem a street takes up for a month.")
class MonthlyProblemInput:
    street: str
    period: str = strawberry.field(description="The month (2026-12)")
    category: str
    area: str = strawberry.field(description="The cluster's area, as problemCandidates names it")
    title: str
    decision: str = strawberry.field(description="What the street decided to do")


@strawberry.type
class ProblemQueries:
    @strawberry.field(description="每月一题 candidates: an area's requests of a period (this year if not given) "
                      "clustered by category and place, those raised in at least `compounds` compounds, ranked by "
                      "count, repeat rate and dissatisfaction. Counts only the compounds you reach.")
    async def problem_candidates(self, info: Info, period: str | None = None, district: str | None = None,
                                 street: str | None = None, community: str | None = None, compounds: int = 2,
                                 first: int | None = None, after: str | None = None) -> Connection[ProblemCluster]:
        period = period_or_this_year(period)
        condition, params = area(info, district, street, community)
        found = await clusters(info, period, condition, params, max(1, compounds))
        return page_list(found, first=first, after=after,
                         listing=f"problemCandidates:{period}:{district}:{street}:{community}:{compounds}")

    @strawberry.field(description="The problems a street took up (每月一题), the latest first, with how each "
                      "cluster went after.")
    async def monthly_problems(self, info: Info, street: str) -> list[MonthlyProblem]:
        condition, params = area(info, None, street, None)
        reached = await info.context.row(sql.SQL("SELECT count(*) AS n FROM compound_shapes WHERE {}").format(
            condition), params)
        if not reached["n"]:
            return []
        rows = await info.context.rows("SELECT street, period, category, area, title, decision, chosen_at"
                                       " FROM monthly_problems WHERE street = %s ORDER BY period DESC", (street,))
        return [MonthlyProblem(**row) for row in rows]


@strawberry.type
class ProblemMutations:
    set_figure_weights = recording("branch", "set_figure_weights", FigureWeightsInput,
                                   "The street office sets how its 三率 weigh in the composite score.")
    choose_monthly_problem = recording("branch", "choose_monthly_problem", MonthlyProblemInput,
                                       "The street office records the month's problem (每月一题) and its decision.")

