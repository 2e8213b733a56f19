"""What a street office measures (接诉即办), declared once: what counts as answered, resolved,
satisfied and repeated; the composite score and the monthly classes (Beijing since 2019: 先进,
进步, 整改, 治理); and the property companies' grade (Beijing's 物业服务企业综合评价, every half
year, with Shandong's credit bands and 红黑榜). The read side counts by these; nothing else
says what a figure means."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import TypeVar

from services.common.errors import InvalidInput

# -- the figures ----------------------------------------------------------------------------------

# The steps that answer a case first (its response), whichever comes first: the branch's
# dispatch, or a taker's acceptance or refusal.
FIRST_CONTACT = ("branch.CaseDispatched", "branch.CaseAccepted", "branch.CaseRefused",
                 "property.WorkOrderAccepted", "property.WorkOrderRefused")
RESOLVED_FROM = 3  # a rating of at least 3: the resident says the case is resolved (解决)
SATISFIED_FROM = 4  # 4 or 5: satisfied (满意)
REPEAT_WITHIN = timedelta(days=30)  # a case repeats one of its category at the same place raised this soon before

RATES = ("response", "resolution", "satisfaction")  # the 三率, what the composite score weighs


@dataclass(frozen=True)
class Weights:
    """How much each of the 三率 weighs in the composite score; only their proportions matter."""

    response: Decimal
    resolution: Decimal
    satisfaction: Decimal

    @classmethod
    def of(cls, response: Decimal | int | str, resolution: Decimal | int | str,
           satisfaction: Decimal | int | str) -> Weights:
        values = []
        for name, value in (("response", response), ("resolution", resolution), ("satisfaction", satisfaction)):
            try:
                weight = Decimal(str(value))
            except ArithmeticError:
                raise InvalidInput(f"{name} must be a number", field=name) from None
            if not weight.is_finite() or not 0 <= weight <= 100:
                raise InvalidInput(f"{name} must be a weight from 0 to 100", field=name)
            values.append(weight)
        if sum(values) == 0:
            raise InvalidInput("at least one weight must be above 0", field="response")
        return cls(*values)

    def of_rate(self, rate: str) -> Decimal:
        return getattr(self, rate)


DEFAULT_WEIGHTS = Weights(Decimal("1.00"), Decimal("1.00"), Decimal("1.00"))  # equal thirds; a street may set its own


def weighted(rates: dict[str, float | None], weights: dict[str, Decimal]) -> float | None:
    """The weighted mean of the rates there are, out of 100: a rate with nothing to count (no
    ratings, no case due) is left out and the others weigh in its place; none, no score."""
    present = [(float(weights[name]), rate) for name, rate in rates.items()
               if rate is not None and weights.get(name)]
    total = sum(weight for weight, _ in present)
    return 100 * sum(weight * rate for weight, rate in present) / total if total else None


# -- the monthly classes --------------------------------------------------------------------------

ADVANCED, IMPROVED, RECTIFY, GOVERNED = "先进", "进步", "整改", "治理"
CLASS_SHARE = 0.2  # 先进: the top fifth by score; 整改: the bottom fifth; 进步: the fifth most improved
GOVERNANCE_TOP = 10  # 治理: the ten with the most requests per 100 households …
GOVERNANCE_SHARE = 0.2  # … and never more than a fifth of those compared

T = TypeVar("T")


def share_of(count: int, share: float) -> int:
    return math.ceil(count * share)


def classes(items: Sequence[T], *, score: Callable[[T], float | None], previous: Callable[[T], float | None],
            requests: Callable[[T], float | None]) -> dict[int, list[str]]:
    """Each item's classes, by position in ``items``, which are ranked by score already (the
    unscored last). 先进 and 整改 are among the scored; 进步 among those scored in both periods,
    improved, and neither 先进 nor 整改; 治理 among those with requests, by requests per 100
    households."""
    scored = [i for i, item in enumerate(items) if score(item) is not None]
    top = share_of(len(scored), CLASS_SHARE)
    advanced, rectify = set(scored[:top]), set(scored[max(top, len(scored) - top):])
    compared = [i for i in scored if previous(items[i]) is not None]
    rising = sorted((i for i in compared if score(items[i]) > previous(items[i]) and i not in advanced | rectify),
                    key=lambda i: (-(score(items[i]) - previous(items[i])), i))
    improved = set(rising[:share_of(len(compared), CLASS_SHARE)])
    asking = sorted((i for i, item in enumerate(items) if requests(item)), key=lambda i: (-requests(items[i]), i))
    governed = set(asking[:min(GOVERNANCE_TOP, share_of(len(items), GOVERNANCE_SHARE))])
    return {i: [name for name, members in ((ADVANCED, advanced), (IMPROVED, improved), (RECTIFY, rectify),
                                           (GOVERNED, governed)) if i in members]
            for i in range(len(items))}


# -- property companies' grades ------------------------------------------------------------------

# Each indicator's weight, out of 100 (Beijing's 综合评价 draws on 接诉即办 figures, residents'
# evaluation, supervision, fees and complaints). An indicator with nothing to count is left out.
INDICATORS: dict[str, Decimal] = {
    "response": Decimal(15),  # work orders answered within their response time
    "resolution": Decimal(15),  # ratings of work orders, resolved (3 or more)
    "satisfaction": Decimal(15),  # ratings of work orders, satisfied (4 or 5)
    "on_time": Decimal(10),  # work orders resolved by their deadline
    "evaluation": Decimal(15),  # the residents' evaluation sheets (评议), average of 5
    "notices": Decimal(10),  # supervision notices received, rectification reported in time
    "fees": Decimal(10),  # fees collected of fees billed
    "complaints": Decimal(10),  # 100 less COMPLAINT_POINTS per property dispute per 100 households
}
COMPLAINT_POINTS = 10
# Shandong's bands (信用等级, A ≥ 85 …): the grade of a score out of 100, the highest it reaches.
GRADE_BANDS = (("A", 85), ("B", 75), ("C", 60), ("D", 0))
RED_LIST, BLACK_LIST = "A", "D"  # 红榜: A; 黑榜: D, barred from bidding


def grade_of(score: float | None) -> str | None:
    if score is None:
        return None
    return next(grade for grade, least in GRADE_BANDS if score >= least)


def complaints_rate(complaints: int, households: int) -> float | None:
    """The complaints indicator as a rate: 1 with none, less COMPLAINT_POINTS % per complaint per
    100 households, never below 0."""
    if not households:
        return None
    return max(0.0, 100 - COMPLAINT_POINTS * complaints * 100 / households) / 100
