"""A street's agenda (街道党工委): the weights its figures are scored by, and the problem it takes
up each month (每月一题). The party's street working committee leads the branches of the street's
compounds, so what it decides lives in the party's store, the branch's, as an aggregate of the
street that belongs to no single compound; the street office records it. A street is named as
its compounds' registrations and its office's principal name it."""

from __future__ import annotations

from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from services.common.aggregate import GovernanceAggregate
from services.common.case_categories import require_category
from services.common.errors import InvalidInput, RuleViolated, require_text
from services.common.measures import Weights
from services.common.periods import require_period
from services.common.places import place_of


class StreetAgenda(GovernanceAggregate):
    @staticmethod
    def create_id(street: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"siwei:branch:street-agenda:{street}")

    @event("StreetAgendaOpened")
    def __init__(self, street: str) -> None:
        self.street = street
        self.weights_from: dict[str, Weights] = {}  # the period from which each weighting applies
        self.problems: dict[str, str] = {}  # period → the problem's title

    def set_weights(self, response: Decimal, resolution: Decimal, satisfaction: Decimal, since: str) -> None:
        weights = Weights.of(response, resolution, satisfaction)
        self._weights_set(street=self.street, response=weights.response, resolution=weights.resolution,
                          satisfaction=weights.satisfaction, since=require_period(since))

    @event("FigureWeightsSet")
    def _weights_set(self, street: str, response: Decimal, resolution: Decimal, satisfaction: Decimal, since: str) -> None:
        self.weights_from[since] = Weights(response, resolution, satisfaction)

    def choose_problem(self, period: str, category: str, area: str, title: str, decision: str) -> None:
        """The month's problem (每月一题): the cluster of requests it answers (a category, and a
        common area or 户内/楼栋), and what the street decided to do."""
        period = require_period(period)
        if len(period) != 7 or "-Q" in period or "-H" in period:
            raise InvalidInput("period must be a month (2026-07): one problem is taken up each month", field="period")
        if period in self.problems:
            raise RuleViolated(f"{self.street} took up {self.problems[period]!r} for {period} already")
        self._problem_chosen(street=self.street, period=period, category=require_category(category).value,
                             area=place_of(require_text(area, "area", max_length=100)).area,
                             title=require_text(title, "title", max_length=200),
                             decision=require_text(decision, "decision", max_length=4000, multiline=True))

    @event("MonthlyProblemChosen")
    def _problem_chosen(self, street: str, period: str, category: str, area: str, title: str, decision: str) -> None:
        self.problems[period] = title
