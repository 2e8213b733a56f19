"""Property companies' grades (物业服务企业综合评价): per period (a half year by default), each
company's score from the compounds it served in it, weighted by households, with every
indicator's numerator and denominator per compound, its grade by the declared bands, and a
street's red and black list (红黑榜). Counts only the compounds the reader reaches: a company
reads its own grade over the compounds it serves. Declarations: ``services.common.measures``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

import strawberry
from graphql import GraphQLError
from psycopg import sql

from api.context import Info, reading_now
from api.governance.schema import area
from api.governance.types import local_today
from api.pagination import Connection, page, page_list
from api.street.figures import ANSWER_DUE, ANSWERED_IN_TIME, HANDLED, ON_TIME, asked, counting, day_span
from services.common.measures import (
    BLACK_LIST, FIRST_CONTACT, INDICATORS, RED_LIST, complaints_rate, grade_of, weighted,
)
from services.common.periods import period_bounds, period_of, require_period

LOCAL = "Asia/Shanghai"
CENT = Decimal("0.01")
# The first day of a fee bill's period (2026-11, 2026-Q3, 2026-H2, 2026).
BILL_STARTS = """CASE WHEN b.period ~ '^[0-9]+-[0-9][0-9]$' THEN make_date(left(b.period, 4)::int, right(b.period, 2)::int, 1)
     WHEN b.period ~ 'Q' THEN make_date(left(b.period, 4)::int, right(b.period, 1)::int * 3 - 2, 1)
     WHEN b.period ~ 'H' THEN make_date(left(b.period, 4)::int, right(b.period, 1)::int * 6 - 5, 1)
     ELSE make_date(left(b.period, 4)::int, 1, 1) END"""

# Each company's service of each compound in the period, with what each indicator counts.
SERVED = sql.SQL(f"""
WITH served AS (
    SELECT ps.company_id, ps.company_name, ps.compound_id, s.name AS compound_name,
           coalesce(s.households, 0) AS households,
           greatest(ps.since, %(start)s) AS served_from, least(coalesce(ps.until, %(end)s), %(end)s) AS served_until
    FROM property_services ps JOIN compound_shapes s USING (compound_id)
    WHERE {{where}} AND ps.since <= %(end)s AND coalesce(ps.until, %(end)s) >= %(start)s
      AND (%(company)s::uuid IS NULL OR ps.company_id = %(company)s::uuid)),
spans AS (
    SELECT *, served_from::timestamp AT TIME ZONE '{LOCAL}' AS since,
           (served_until + 1)::timestamp AT TIME ZONE '{LOCAL}' AS before FROM served)
SELECT sp.company_id, sp.company_name, sp.compound_id, sp.compound_name, sp.households, sp.served_from,
       sp.served_until, o.*, r.*, e.*, n.*, f.*
FROM spans sp
CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE {ANSWERED_IN_TIME}) AS responded,
           count(*) FILTER (WHERE {ANSWER_DUE}) AS response_due,
           count(*) FILTER (WHERE {HANDLED}) AS handled,
           count(*) FILTER (WHERE {HANDLED} AND {ON_TIME}) AS on_time,
           (SELECT count(*) FROM cases d WHERE d.compound_id = sp.compound_id AND d.category = 'property_dispute'
              AND d.raised_at >= sp.since AND d.raised_at < sp.before) AS complaints
    FROM cases c WHERE c.compound_id = sp.compound_id AND c.taker = 'property'
      AND c.raised_at >= sp.since AND c.raised_at < sp.before) o
CROSS JOIN LATERAL (
    SELECT count(*) AS ratings, count(*) FILTER (WHERE r.score >= %(resolved)s) AS resolved,
           count(*) FILTER (WHERE r.score >= %(satisfied)s) AS satisfied
    FROM case_ratings r JOIN cases c USING (case_id)
    WHERE r.compound_id = sp.compound_id AND c.taker = 'property'
      AND r.rated_at >= sp.since AND r.rated_at < sp.before) r
CROSS JOIN LATERAL (
    SELECT count(*) AS sheets, coalesce(sum(es.score), 0) AS sheet_total
    FROM evaluation_scores es JOIN evaluations ev USING (evaluation_id)
    WHERE es.compound_id = sp.compound_id AND ev.evaluated = 'property'
      AND es.scored_at >= sp.since AND es.scored_at < sp.before) e
CROSS JOIN LATERAL (
    SELECT count(*) AS notices,
           count(*) FILTER (WHERE n.reported_on IS NOT NULL AND n.reported_on <= n.rectify_by) AS rectified
    FROM supervision_notices n
    WHERE n.compound_id = sp.compound_id AND n.addressed_to = 'property'
      AND n.issued_on BETWEEN sp.served_from AND sp.served_until) n
CROSS JOIN LATERAL (
    SELECT coalesce(sum(b.amount), 0) AS billed, coalesce(sum(least(b.paid, b.amount)), 0) AS collected
    FROM fee_bills b WHERE b.compound_id = sp.compound_id
      AND {BILL_STARTS} BETWEEN sp.served_from AND sp.served_until) f
""")

# The events (or, for notices and bills, the records) behind one indicator of one compound.
EVIDENCE = sql.SQL(f"""(
SELECT s.event_id AS record_id, 'event' AS kind, s.step AS what, (s.at AT TIME ZONE '{LOCAL}')::date AS on_date,
       CASE %(indicator)s WHEN 'response' THEN {ANSWERED_IN_TIME} WHEN 'on_time' THEN {ON_TIME} ELSE true END
         AS counts
FROM cases c JOIN case_steps s USING (case_id)
WHERE c.compound_id = %(compound)s AND c.raised_at >= %(since)s AND c.raised_at < %(before)s
  AND ((%(indicator)s = 'response' AND c.taker = 'property' AND s.body || '.' || s.step = ANY(%(first_contact)s)
        AND s.at = c.first_contact_at)
    OR (%(indicator)s = 'on_time' AND c.taker = 'property' AND {HANDLED}
        AND s.at = c.resolved_at AND s.state_after = 'resolved')
    OR (%(indicator)s = 'complaints' AND c.category = 'property_dispute' AND s.step = 'CaseRaised'))
UNION ALL
SELECT r.event_id, 'event', 'CaseRated', (r.rated_at AT TIME ZONE '{LOCAL}')::date,
       r.score >= CASE %(indicator)s WHEN 'resolution' THEN %(resolved)s ELSE %(satisfied)s END
FROM case_ratings r JOIN cases c USING (case_id)
WHERE %(indicator)s IN ('resolution', 'satisfaction') AND r.compound_id = %(compound)s AND c.taker = 'property'
  AND r.rated_at >= %(since)s AND r.rated_at < %(before)s
UNION ALL
SELECT es.event_id, 'event', 'EvaluationScored', (es.scored_at AT TIME ZONE '{LOCAL}')::date, true
FROM evaluation_scores es JOIN evaluations ev USING (evaluation_id)
WHERE %(indicator)s = 'evaluation' AND es.compound_id = %(compound)s AND ev.evaluated = 'property'
  AND es.scored_at >= %(since)s AND es.scored_at < %(before)s
UNION ALL
SELECT n.notice_id, 'supervision_notice', n.matter, n.issued_on,
       n.reported_on IS NOT NULL AND n.reported_on <= n.rectify_by
FROM supervision_notices n
WHERE %(indicator)s = 'notices' AND n.compound_id = %(compound)s AND n.addressed_to = 'property'
  AND n.issued_on BETWEEN %(from)s AND %(until)s
UNION ALL
SELECT b.bill_id, 'fee_bill', b.period, {BILL_STARTS}, b.paid >= b.amount
FROM fee_bills b
WHERE %(indicator)s = 'fees' AND b.compound_id = %(compound)s AND {BILL_STARTS} BETWEEN %(from)s AND %(until)s
) AS evidence""")


@strawberry.type(description="One indicator of a grade: what it counts, its rate, its weight and its points.")
class Indicator:
    name: str = strawberry.field(description="response, resolution, satisfaction, on_time, evaluation, notices, "
                                 "fees or complaints")
    weight: Decimal = strawberry.field(description="Out of 100 (an indicator with nothing counted is left out)")
    numerator: Decimal
    denominator: Decimal
    rate: float | None


@strawberry.type(description="What an indicator counts: an event, or a supervision notice or a fee bill.")
class GradeEvidence:
    record_id: UUID = strawberry.field(description="The event's id; a notice's or a bill's own id")
    kind: str = strawberry.field(description="event, supervision_notice or fee_bill")
    what: str = strawberry.field(description="The event's type, the notice's matter or the bill's period")
    on_date: date
    counts: bool = strawberry.field(description="It counts in the numerator")


@strawberry.type(description="A compound a company served in the period, and how it did there.")
class GradedCompound:
    exact: strawberry.Private[float | None]  # the score unrounded, what the company's is weighted from
    compound_id: UUID
    compound_name: str
    households: int
    served_from: date
    served_until: date
    score: float | None
    indicators: list[Indicator]

    @strawberry.field(description="What one indicator counts here.")
    async def evidence(self, info: Info, indicator: str, first: int | None = None,
                       after: str | None = None) -> Connection[GradeEvidence]:
        if indicator not in INDICATORS:
            raise GraphQLError(f"indicator must be one of {', '.join(INDICATORS)}, not {indicator[:40]!r}",
                               extensions={"code": "INVALID_INPUT", "field": "indicator"})
        params = {**counting(*day_span(self.served_from, self.served_until), reading_now()), "compound": self.compound_id,
                  "indicator": indicator, "from": self.served_from, "until": self.served_until,
                  "first_contact": list(FIRST_CONTACT)}
        return await page(info, table=EVIDENCE, where=[], params=params, key=("on_date", "record_id"),
                          first=first, after=after, node=lambda r: GradeEvidence(**r))


@strawberry.type(description="A property company's grade for a period (物业服务企业综合评价).")
class CompanyGrade:
    company_id: UUID
    company_name: str
    period: str
    households: int = strawberry.field(description="Of the compounds it served, what the score is weighted by")
    score: float | None = strawberry.field(description="Out of 100: its compounds' scores weighted by households")
    grade: str | None = strawberry.field(description="A ≥ 85, B ≥ 75, C ≥ 60, D below")
    listed: str | None = strawberry.field(description="red (红榜, grade A) or black (黑榜, grade D: barred from bidding)")
    rank: int | None
    compounds: list[GradedCompound]


@strawberry.type(description="A street's (or any area's) red and black list of the companies serving it (红黑榜).")
class RedBlackList:
    period: str
    red: list[CompanyGrade]
    black: list[CompanyGrade]


@dataclass
class Counted:
    numerator: Decimal
    denominator: Decimal

    @property
    def rate(self) -> float | None:
        return float(self.numerator / self.denominator) if self.denominator else None


def indicators_of(row: dict) -> dict[str, Counted]:
    complaints = complaints_rate(row["complaints"], row["households"])
    return {
        "response": Counted(Decimal(row["responded"]), Decimal(row["response_due"])),
        "resolution": Counted(Decimal(row["resolved"]), Decimal(row["ratings"])),
        "satisfaction": Counted(Decimal(row["satisfied"]), Decimal(row["ratings"])),
        "on_time": Counted(Decimal(row["on_time"]), Decimal(row["handled"])),
        "evaluation": Counted(Decimal(row["sheet_total"]), Decimal(5 * row["sheets"])),
        "notices": Counted(Decimal(row["rectified"]), Decimal(row["notices"])),
        "fees": Counted(Decimal(row["collected"]), Decimal(row["billed"])),
        "complaints": Counted(Decimal(complaints * 100).quantize(CENT) if complaints is not None else Decimal(0),
                              Decimal(100) if complaints is not None else Decimal(0)),
    }


def graded(row: dict) -> GradedCompound:
    counted = indicators_of(row)
    score = weighted({name: c.rate for name, c in counted.items()}, INDICATORS)
    return GradedCompound(
        exact=score, compound_id=row["compound_id"], compound_name=row["compound_name"], households=row["households"],
        served_from=row["served_from"], served_until=row["served_until"],
        score=None if score is None else round(score, 2),
        indicators=[Indicator(name=name, weight=INDICATORS[name], numerator=c.numerator, denominator=c.denominator,
                              rate=c.rate) for name, c in counted.items()])


async def grades(info: Info, period: str | None, district: str | None, street: str | None, community: str | None,
                 company: UUID | None = None) -> list[CompanyGrade]:
    period = asked(require_period, period) if period is not None else this_half_year()
    start, end = period_bounds(period)
    condition, params = area(info, district, street, community)
    rows = await info.context.rows(SERVED.format(where=condition), {
        **params, **counting(*day_span(start, end), reading_now()), "start": start, "end": end, "company": company})
    by_company: dict[UUID, list[dict]] = {}
    for row in rows:
        by_company.setdefault(row["company_id"], []).append(row)
    made = []
    for company_id, served in by_company.items():
        compounds = sorted((graded(row) for row in served), key=lambda g: (g.compound_name, g.served_from))
        scored = [g for g in compounds if g.exact is not None]
        households = sum(g.households for g in scored)
        score = (round(sum(g.exact * g.households for g in scored) / households, 2) if households
                 else round(sum(g.exact for g in scored) / len(scored), 2) if scored else None)
        grade = grade_of(score)
        made.append(CompanyGrade(company_id=company_id, company_name=served[0]["company_name"], period=period,
                                 households=sum(g.households for g in compounds), score=score, grade=grade,
                                 listed="red" if grade == RED_LIST else "black" if grade == BLACK_LIST else None,
                                 rank=None, compounds=compounds))
    made.sort(key=lambda g: (g.score is None, -(g.score or 0), g.company_name, str(g.company_id)))
    for n, grade in enumerate(made):
        grade.rank = n + 1 if grade.score is not None else None
    return made


def this_half_year() -> str:
    return period_of(local_today(), "2000-H1")


@strawberry.type
class GradeQueries:
    @strawberry.field(description="Property companies' grades for a period (this half year if not given), from the "
                      "compounds of the area they served in it, the best first.")
    async def company_grades(self, info: Info, period: str | None = None, district: str | None = None,
                             street: str | None = None, community: str | None = None, first: int | None = None,
                             after: str | None = None) -> Connection[CompanyGrade]:
        made = await grades(info, period, district, street, community)
        return page_list(made, first=first, after=after,
                         listing=f"companyGrades:{period}:{district}:{street}:{community}")

    @strawberry.field(description="One company's grade for a period (this half year if not given), from the "
                      "compounds you reach that it served: a company reads its own.")
    async def company_grade(self, info: Info, company_id: UUID, period: str | None = None) -> CompanyGrade | None:
        made = await grades(info, period, None, None, None, company_id)
        return made[0] if made else None

    @strawberry.field(description="红黑榜: the companies serving an area graded A (red) and D (black) for a period "
                      "(this half year if not given).")
    async def red_black_list(self, info: Info, period: str | None = None, district: str | None = None,
                             street: str | None = None, community: str | None = None) -> RedBlackList:
        made = await grades(info, period, district, street, community)
        return RedBlackList(period=made[0].period if made else (period or this_half_year()),
                            red=[g for g in made if g.listed == "red"], black=[g for g in made if g.listed == "black"])
