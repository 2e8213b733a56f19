"""A compound's case figures for a period: what Yueyang reports (11,925 cases, 93.4 % handled),
and how fast and how well."""

from __future__ import annotations

from datetime import datetime, timezone
from uuid import UUID

import strawberry

from api.audit.schema import AsOf, travel
from api.context import Info, reading_now
from projections.cases.view import OPEN_STATES
from services.common.case_categories import DISPUTES

FIGURES_SQL = """
WITH period AS (
  SELECT * FROM cases
  WHERE compound_id = %(compound)s AND raised_at >= %(since)s AND raised_at < %(before)s),
ratings AS (  -- every rating of those cases, the one that reopened a case included
  SELECT score FROM case_ratings WHERE case_id IN (SELECT case_id FROM period))
SELECT
  count(*) AS raised,
  count(*) FILTER (WHERE state = 'withdrawn') AS withdrawn,
  count(*) FILTER (WHERE state IN ('resolved', 'closed')) AS handled,
  count(*) FILTER (WHERE state IN ('resolved', 'closed') AND resolved_at <= due_at) AS on_time,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - raised_at) / 3600)
    FILTER (WHERE state IN ('resolved', 'closed')) AS median_hours,
  (SELECT avg(score)::float FROM ratings) AS satisfaction,
  (SELECT count(*) FROM ratings) AS ratings,
  count(*) FILTER (WHERE state = ANY(%(open)s) AND due_at < %(now)s) AS open_overdue,
  count(*) FILTER (WHERE category = ANY(%(disputes)s)) AS disputes,
  count(*) FILTER (WHERE mediation_outcome = 'agreement') AS mediation_agreements,
  count(*) FILTER (WHERE mediation_outcome = 'partial') AS mediation_partial,
  count(*) FILTER (WHERE mediation_outcome = 'failed_referred') AS mediation_failed
FROM period
"""
CLAIMS_SQL = """
SELECT count(*) AS published, count(claimed_at) AS claimed, count(solved_at) AS solved FROM claims
WHERE compound_id = %(compound)s AND published_at >= %(since)s AND published_at < %(before)s
"""


@strawberry.type(description="A compound's cases over a period, by when they were raised, and the "
                 "needs and projects published for claiming in it (认领).")
class CaseFigures:
    compound_id: strawberry.Private[UUID]
    raised: int
    withdrawn: int
    handled: int = strawberry.field(description="Resolved or closed (处置)")
    handled_rate: float | None = strawberry.field(description="handled / (raised − withdrawn)")
    on_time: int = strawberry.field(description="Handled by the category's deadline")
    on_time_rate: float | None = strawberry.field(description="onTime / handled")
    median_hours_to_resolve: float | None
    satisfaction: float | None = strawberry.field(description="The residents' average rating, 1 to 5, over "
                                                  "every rating (a case rated again after reopening counts twice)")
    ratings: int = strawberry.field(description="Every rating given, the one that reopened a case included")
    open_overdue: int = strawberry.field(description="Open now and past the deadline")
    disputes: int
    mediation_agreements: int
    mediation_partial: int
    mediation_failed: int = strawberry.field(description="Failed and referred on")
    claims_published: int
    claims_claimed: int
    claims_solved: int


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@strawberry.type
class CaseFigureQueries:
    @strawberry.field(description="A compound's case figures for the cases raised in a period "
                      "(all time when no bounds are given).")
    async def case_figures(self, info: Info, compound_id: UUID, raised_since: datetime | None = None,
                           raised_before: datetime | None = None, as_of: AsOf = None) -> CaseFigures | None:
        if as_of is not None:
            await travel(info, compound_id, as_of)
        params = {
            "compound": compound_id, "open": list(OPEN_STATES), "disputes": [d.value for d in DISPUTES],
            "now": reading_now(),
            "since": raised_since or datetime.min.replace(tzinfo=timezone.utc),
            "before": raised_before or datetime.max.replace(tzinfo=timezone.utc),
        }
        f = await info.context.row(FIGURES_SQL, params)
        claims = await info.context.row(CLAIMS_SQL, params)
        return CaseFigures(
            compound_id=compound_id, raised=f["raised"], withdrawn=f["withdrawn"], handled=f["handled"],
            handled_rate=ratio(f["handled"], f["raised"] - f["withdrawn"]), on_time=f["on_time"],
            on_time_rate=ratio(f["on_time"], f["handled"]), median_hours_to_resolve=f["median_hours"],
            satisfaction=f["satisfaction"], ratings=f["ratings"], open_overdue=f["open_overdue"],
            disputes=f["disputes"], mediation_agreements=f["mediation_agreements"],
            mediation_partial=f["mediation_partial"], mediation_failed=f["mediation_failed"],
            claims_published=claims["published"], claims_claimed=claims["claimed"],
            claims_solved=claims["solved"],
        )
