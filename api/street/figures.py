"""What a street office measures its compounds by (接诉即办): the 三率 and their companions per
compound, community, street or district for a period, each with its numerator, denominator and
the events counted; a composite score by the street's weights, ranked, and the monthly classes.

A case counts in the period it was raised in (China's calendar), a rating in the period it was
given in; every rating counts, the one that reopened a case included. The definitions are
``services.common.measures``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import strawberry
from graphql import GraphQLError
from psycopg import sql

from api.context import Info, reading_now
from api.governance.schema import area
from api.governance.types import period_or_this_year
from api.pagination import Connection, page, page_list
from services.common.context import CHINA
from services.common.errors import InvalidInput
from services.common.measures import (
    DEFAULT_WEIGHTS, FIRST_CONTACT, RATES, REPEAT_WITHIN, RESOLVED_FROM, SATISFIED_FROM, Weights, classes, weighted,
)
from services.common.periods import period_bounds, previous_period


@strawberry.enum(description="What the figures are counted per.")
class AreaLevel(Enum):
    COMPOUND = "compound"
    COMMUNITY = "community"
    STREET = "street"
    DISTRICT = "district"


# What the figures count, as conditions on a case ``c``: ``services.common.measures`` in SQL,
# written once for the figures, their evidence, the clusters and the grades.
REPEATED = """EXISTS (
        SELECT 1 FROM cases p WHERE p.compound_id = c.compound_id AND p.category = c.category
          AND p.place = c.place AND p.raised_at < c.raised_at AND p.raised_at >= c.raised_at - %(repeat)s)"""
ANSWERED_IN_TIME = "coalesce(c.first_contact_at <= c.respond_by, false)"
ANSWER_DUE = "(c.first_contact_at IS NOT NULL OR (c.state <> 'withdrawn' AND c.respond_by <= %(now)s))"
HANDLED = "c.state IN ('resolved', 'closed')"
ON_TIME = "c.resolved_at <= c.due_at"

# Each compound's counts for a period (``current``) and the one before, from %(since)s to %(split)s
# and on to %(before)s, with its street's weights for each (none: the default). The same, summed,
# for a community, street or district.
COUNTS = sql.SQL(f"""
WITH area AS (
    SELECT compound_id, name, district, street, community, coalesce(households, 0) AS households
    FROM compound_shapes WHERE {{where}}),
raised AS (
    SELECT c.*, c.raised_at >= %(split)s AS current, {REPEATED} AS repeated
    FROM cases c JOIN area USING (compound_id)
    WHERE c.raised_at >= %(since)s AND c.raised_at < %(before)s),
counted AS (
    SELECT compound_id, current, count(*) AS raised,
           count(*) FILTER (WHERE state = 'withdrawn') AS withdrawn,
           count(*) FILTER (WHERE reopened) AS reopened,
           count(*) FILTER (WHERE repeated) AS repeated,
           count(*) FILTER (WHERE escalated_to IS NOT NULL) AS escalated,
           count(*) FILTER (WHERE {ANSWERED_IN_TIME}) AS responded,
           count(*) FILTER (WHERE {ANSWER_DUE}) AS response_due,
           count(*) FILTER (WHERE {HANDLED}) AS handled,
           count(*) FILTER (WHERE {HANDLED} AND {ON_TIME}) AS on_time
    FROM raised c GROUP BY compound_id, current),
rated AS (
    SELECT r.compound_id, r.rated_at >= %(split)s AS current, count(*) AS ratings,
           count(*) FILTER (WHERE r.score >= %(resolved)s) AS resolved,
           count(*) FILTER (WHERE r.score >= %(satisfied)s) AS satisfied, sum(r.score) AS score_total
    FROM case_ratings r JOIN area USING (compound_id)
    WHERE r.rated_at >= %(since)s AND r.rated_at < %(before)s GROUP BY 1, 2)
SELECT area.*, p.current, w.response AS weight_response, w.resolution AS weight_resolution,
       w.satisfaction AS weight_satisfaction, {{counts}}
FROM area CROSS JOIN (VALUES (true, %(starts)s::date), (false, %(previous_starts)s::date)) AS p (current, starts)
LEFT JOIN counted ON counted.compound_id = area.compound_id AND counted.current = p.current
LEFT JOIN rated ON rated.compound_id = area.compound_id AND rated.current = p.current
LEFT JOIN LATERAL (
    SELECT response, resolution, satisfaction FROM street_weights sw
    WHERE sw.street = area.street AND sw.since_day <= p.starts ORDER BY since_day DESC, set_at DESC LIMIT 1) w ON true
""")
COUNTED = ("raised", "withdrawn", "reopened", "repeated", "escalated", "responded", "response_due", "handled",
           "on_time", "ratings", "resolved", "satisfied", "score_total")

# The events behind one figure of a set of compounds: each with whether it counts in the
# numerator (for a count, every event does).
EVIDENCE = sql.SQL(f"""(
WITH raised AS (
    SELECT c.* FROM cases c
    WHERE c.compound_id = ANY(%(compounds)s) AND c.raised_at >= %(since)s AND c.raised_at < %(before)s)
SELECT s.event_id, s.body, s.step, s.at, s.case_id, c.compound_id, true AS counts
FROM raised c JOIN case_steps s USING (case_id)
WHERE (%(figure)s = 'raised' AND s.step = 'CaseRaised')
   OR (%(figure)s = 'withdrawn' AND s.step = 'CaseWithdrawn')
   OR (%(figure)s = 'reopened' AND s.step = 'CaseReopened')
   OR (%(figure)s = 'escalated' AND s.step = 'CaseEscalated')
   OR (%(figure)s = 'repeated' AND s.step = 'CaseRaised' AND {REPEATED})
UNION ALL
SELECT DISTINCT ON (c.case_id) s.event_id, s.body, s.step, s.at, s.case_id, c.compound_id, {ANSWERED_IN_TIME}
FROM raised c JOIN case_steps s USING (case_id)
WHERE %(figure)s = 'response' AND {ANSWER_DUE}
  AND ((s.body || '.' || s.step = ANY(%(first_contact)s) AND s.at = c.first_contact_at)
       OR (c.first_contact_at IS NULL AND s.step = 'CaseRaised'))
UNION ALL
SELECT DISTINCT ON (c.case_id) s.event_id, s.body, s.step, s.at, s.case_id, c.compound_id, {ON_TIME}
FROM raised c JOIN case_steps s USING (case_id)
WHERE %(figure)s = 'onTime' AND {HANDLED} AND s.at = c.resolved_at
  AND s.state_after = 'resolved'
UNION ALL
SELECT r.event_id, 'residents', 'CaseRated', r.rated_at, r.case_id, r.compound_id,
       r.score >= CASE %(figure)s WHEN 'resolution' THEN %(resolved)s ELSE %(satisfied)s END
FROM case_ratings r
WHERE %(figure)s IN ('resolution', 'satisfaction') AND r.compound_id = ANY(%(compounds)s)
  AND r.rated_at >= %(since)s AND r.rated_at < %(before)s
) AS evidence""")
FIGURES = ("raised", "withdrawn", "reopened", "repeated", "escalated", "response", "resolution", "satisfaction",
           "onTime")


@dataclass
class Tally:
    """Counts summed over compounds."""

    compounds: int = 0
    households: int = 0
    raised: int = 0
    withdrawn: int = 0
    reopened: int = 0
    repeated: int = 0
    escalated: int = 0
    responded: int = 0
    response_due: int = 0
    handled: int = 0
    on_time: int = 0
    ratings: int = 0
    resolved: int = 0
    satisfied: int = 0
    score_total: int = 0
    compound_ids: list[UUID] = field(default_factory=list)

    def add(self, row: dict) -> None:
        self.compounds += 1
        self.households += row["households"]
        self.compound_ids.append(row["compound_id"])
        for name in COUNTED:
            setattr(self, name, getattr(self, name) + row[name])

    def rates(self) -> dict[str, float | None]:
        return {"response": ratio(self.responded, self.response_due), "resolution": ratio(self.resolved, self.ratings),
                "satisfaction": ratio(self.satisfied, self.ratings)}


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@strawberry.type(description="A rate with what it is counted from.")
class Rate:
    numerator: int
    denominator: int
    rate: float | None = strawberry.field(description="numerator / denominator; null when nothing was counted")

    @staticmethod
    def of(part: int, whole: int) -> Rate:
        return Rate(numerator=part, denominator=whole, rate=ratio(part, whole))


@strawberry.type(description="How much each of the 三率 weighs in the composite score (only proportions matter).")
class FigureWeights:
    response: Decimal
    resolution: Decimal
    satisfaction: Decimal
    set_by_street: bool = strawberry.field(description="The street set them; otherwise the default equal thirds")


@strawberry.type(description="An event a figure counts: a case's step or rating.")
class FigureEvidence:
    event_id: UUID
    body: str
    step: str
    at: datetime
    case_id: UUID
    compound_id: UUID
    counts: bool = strawberry.field(description="It counts in the numerator (for a count, always)")


@strawberry.type(description="A compound's, community's, street's or district's 接诉即办 figures for a period.")
class AreaFigures:
    tally: strawberry.Private[Tally]
    bounds: strawberry.Private[tuple[datetime, datetime, datetime]]
    level: str
    name: str = strawberry.field(description="The compound's, community's, street's or district's name")
    compound_id: UUID | None
    district: str
    street: str | None
    community: str | None
    period: str
    compounds: int
    households: int
    raised: int = strawberry.field(description="Requests raised in the period (诉求量)")
    withdrawn: int
    reopened: int = strawberry.field(description="Rated below 3 and reopened")
    repeated: int = strawberry.field(description="Another case of the category at the same place was raised in "
                                     "the 30 days before (重复诉求)")
    escalated: int = strawberry.field(description="Gone up to the community or street, overdue")
    requests_per_100_households: float | None = strawberry.field(description="raised × 100 / households (千人诉求量 "
                                                                 "in kind)")
    response: Rate = strawberry.field(description="响应率: first answered (dispatched, accepted or refused) within "
                                      "the response time of its category and urgency, of the cases whose answer "
                                      "is due or came")
    resolution: Rate = strawberry.field(description="解决率: ratings of 3 or more, of ratings given in the period "
                                        "(the resident's word, never the handler's)")
    satisfaction: Rate = strawberry.field(description="满意率: ratings of 4 or 5, of ratings given")
    on_time: Rate = strawberry.field(description="Resolved by the category's deadline, of the cases resolved")
    average_rating: float | None = strawberry.field(description="Of every rating given, 1 to 5")
    weights: FigureWeights
    score: float | None = strawberry.field(description="Out of 100: the 三率 weighed by the street's weights "
                                           "(a rate with nothing counted is left out)")
    previous_score: float | None = strawberry.field(description="The same, for the period before")
    rank: int | None = strawberry.field(description="Among those compared, by score; null without a score")
    classes: list[str] = strawberry.field(description="先进 (top fifth), 进步 (most improved), 整改 (bottom fifth), "
                                          "治理 (most requests per 100 households)")

    @strawberry.field(description="The events a figure counts: raised, withdrawn, reopened, repeated, escalated, "
                      "response, resolution, satisfaction or onTime.")
    async def evidence(self, info: Info, figure: str, first: int | None = None,
                       after: str | None = None) -> Connection[FigureEvidence]:
        if figure not in FIGURES:
            raise GraphQLError(f"figure must be one of {', '.join(FIGURES)}, not {figure[:40]!r}",
                               extensions={"code": "INVALID_INPUT", "field": "figure"})
        since, before, now = self.bounds
        params = {**counting(since, before, now), "compounds": self.tally.compound_ids, "figure": figure,
                  "first_contact": list(FIRST_CONTACT)}
        return await page(info, table=EVIDENCE, where=[], params=params, key=("at", "event_id"),
                          first=first, after=after, node=lambda r: FigureEvidence(**r))


def counting(since: datetime, before: datetime, now: datetime) -> dict[str, Any]:
    return {"since": since, "before": before, "now": now, "repeat": REPEAT_WITHIN, "resolved": RESOLVED_FROM,
            "satisfied": SATISFIED_FROM}


def asked(check: Any, *args: Any) -> Any:
    """A check of an argument, its refusal an INVALID_INPUT error naming the argument."""
    try:
        return check(*args)
    except InvalidInput as error:
        raise GraphQLError(error.message, extensions={"code": error.code, "field": error.field}) from None


def china_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=CHINA)


def day_span(first: date, last: date) -> tuple[datetime, datetime]:
    """From the first day's start to the last day's end, in China."""
    return china_midnight(first), china_midnight(last + timedelta(days=1))


def period_span(period: str) -> tuple[datetime, datetime]:
    return day_span(*period_bounds(period))


def group_of(row: dict, level: AreaLevel) -> tuple:
    if level is AreaLevel.COMPOUND:
        return (row["district"], row["street"], row["community"], row["name"], row["compound_id"])
    if level is AreaLevel.COMMUNITY:
        return (row["district"], row["street"], row["community"])
    if level is AreaLevel.STREET:
        return (row["district"], row["street"])
    return (row["district"],)


@dataclass
class Counted:
    """A group's tally for the period and the period before, with the weights of each."""

    now: Tally = field(default_factory=Tally)
    before: Tally = field(default_factory=Tally)
    weights_now: Weights | None = None  # the street's, if it set any
    weights_before: Weights | None = None


def weights_in(row: dict) -> Weights | None:
    if row["weight_response"] is None:
        return None
    return Weights(row["weight_response"], row["weight_resolution"], row["weight_satisfaction"])


async def counted(info: Info, where: sql.Composable, params: dict, level: AreaLevel, period: str,
                  now: datetime) -> dict[tuple, Counted]:
    earlier = asked(previous_period, period)
    since, (split, before) = period_span(earlier)[0], period_span(period)
    counts = sql.SQL(", ").join(sql.SQL("coalesce({name}, 0) AS {name}").format(name=sql.Identifier(n))
                                for n in COUNTED)
    rows = await info.context.rows(COUNTS.format(where=where, counts=counts), {
        **params, **counting(since, before, now), "split": split, "starts": period_bounds(period)[0],
        "previous_starts": period_bounds(earlier)[0]})
    grouped: dict[tuple, Counted] = {}
    for row in rows:
        group = grouped.setdefault(group_of(row, level), Counted())
        (group.now if row["current"] else group.before).add(row)
        if level is not AreaLevel.DISTRICT:  # a district's streets may weigh differently: the default
            if row["current"]:
                group.weights_now = weights_in(row)
            else:
                group.weights_before = weights_in(row)
    return grouped


def score_of(tally: Tally, weights: Weights) -> float | None:
    score = weighted(tally.rates(), {rate: weights.of_rate(rate) for rate in RATES})
    return None if score is None else round(score, 2)


async def area_figures(info: Info, period: str, level: AreaLevel, district: str | None, street: str | None,
                       community: str | None) -> list[AreaFigures]:
    """The figures of every group of the area at ``level``, ranked by score, with their classes."""
    period = period_or_this_year(period)
    condition, params = area(info, district, street, community)
    now = reading_now()
    since, before = period_span(period)
    made = []
    for key, group in (await counted(info, condition, params, level, period, now)).items():
        tally, weights = group.now, group.weights_now or DEFAULT_WEIGHTS
        made.append(AreaFigures(
            tally=tally, bounds=(since, before, now), level=level.value,
            name=key[3] if level is AreaLevel.COMPOUND else key[-1],
            compound_id=key[4] if level is AreaLevel.COMPOUND else None, district=key[0],
            street=key[1] if len(key) > 1 else None, community=key[2] if len(key) > 2 else None, period=period,
            compounds=tally.compounds, households=tally.households, raised=tally.raised, withdrawn=tally.withdrawn,
            reopened=tally.reopened, repeated=tally.repeated, escalated=tally.escalated,
            requests_per_100_households=round(tally.raised * 100 / tally.households, 2) if tally.households else None,
            response=Rate.of(tally.responded, tally.response_due), resolution=Rate.of(tally.resolved, tally.ratings),
            satisfaction=Rate.of(tally.satisfied, tally.ratings), on_time=Rate.of(tally.on_time, tally.handled),
            average_rating=round(tally.score_total / tally.ratings, 2) if tally.ratings else None,
            weights=FigureWeights(response=weights.response, resolution=weights.resolution,
                                  satisfaction=weights.satisfaction, set_by_street=group.weights_now is not None),
            score=score_of(tally, weights),
            previous_score=score_of(group.before, group.weights_before or DEFAULT_WEIGHTS),
            rank=None, classes=[]))
    made.sort(key=lambda f: (f.score is None, -(f.score or 0), f.name, str(f.compound_id)))
    found = classes(made, score=lambda f: f.score, previous=lambda f: f.previous_score,
                    requests=lambda f: f.requests_per_100_households)
    for position, figures in enumerate(made):
        figures.rank = position + 1 if figures.score is not None else None
        figures.classes = found[position]
    return made


@strawberry.type
class StreetFigureQueries:
    @strawberry.field(description="接诉即办 figures of an area's compounds, communities, streets or districts for "
                      "a period (this year if not given: a month 2026-11, a quarter, a half year, a year), ranked "
                      "by score, with their classes. Counts only the compounds you reach.")
    async def area_figures(self, info: Info, period: str | None = None, level: AreaLevel = AreaLevel.COMPOUND,
                           district: str | None = None, street: str | None = None, community: str | None = None,
                           first: int | None = None, after: str | None = None) -> Connection[AreaFigures]:
        made = await area_figures(info, period, level, district, street, community)
        return page_list(made, first=first, after=after,
                         listing=f"areaFigures:{period}:{level.value}:{district}:{street}:{community}")

