"""The demo street's months of requests (晋阳街道, 接诉即办): five months of cases in its
compounds other than 北苑 (whose own cases the walkthrough follows), answered sooner or later,
resolved, rated (some reopened), some left waiting, so that each of a street office's figures has
something to count; and the problem the street took up two months ago (lifts), with what it
decided. Illustrative, and the same every time it is seeded: each compound's cases follow a fixed
rotation, their times counted back from the seeding."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from uuid import UUID

from services.bootstrap import Services
from services.branch.case_file import REOPENED, CaseFile
from services.common.context import acting, china_date
from services.property.work_order import WorkOrder
from services.residents.case import Case

MONTHS = 5
WAIT_SECONDS = 120.0
# Cases a month per compound, by its size.
PER_MONTH = {"红运花园": 4, "东苑小区": 1, "西苑小区": 1, "金雁花园": 3}


@dataclass(frozen=True)
class Kind:
    category: str
    location: str  # {b}: a building of the compound
    needs_company: bool  # taken by the property company, else by volunteers or a party member


# The rotation each compound's cases follow: lifts and bins recur across the street.
KINDS = [
    Kind("repairs", "{b}栋电梯", True),
    Kind("environment_and_sanitation", "{b}栋旁垃圾站", False),
    Kind("repairs", "{b}栋电梯", True),
    Kind("parking_and_charging", "车棚", True),
    Kind("safety", "{b}栋楼道", False),
    Kind("property_dispute", "物业服务中心", True),
    Kind("elderly_and_care_services", "{b}栋", False),
]
# How each case goes, by its number in the compound: hours to the first answer, hours to the
# resolution, the rating (0: waiting still; below 3 reopens it).
OUTCOMES = [(1, 20, 5), (3, 50, 4), (30, 90, 3), (2, 30, 2), (1, 10, 5), (40, 0, 0), (5, 60, 4), (2, 200, 1)]


def wait(conditions: list[Callable[[], bool]], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not all(condition() for condition in conditions):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the demo waited too long for {what}; is the reactor running?")
        time.sleep(0.2)


@dataclass
class Planned:
    compound: UUID
    name: str
    kind: Kind
    raised: datetime
    answer_hours: float
    resolve_hours: float
    rating: int
    by_company: bool
    case_id: UUID | None = None


class StreetMonths:
    def __init__(self, services: Services, compounds: dict[str, UUID], served_since: dict[str, date]) -> None:
        self.s, self.compounds, self.served_since = services, compounds, served_since
        self.now = datetime.now(tz=timezone.utc)
        self.today = china_date(self.now)

    def plan(self) -> list[Planned]:
        planned = []
        for name, compound in self.compounds.items():
            if name not in PER_MONTH:
                continue
            number = 0
            for month in range(MONTHS, 0, -1):
                for n in range(PER_MONTH[name]):
                    kind = KINDS[(number + len(name)) % len(KINDS)]
                    raised = self.now - timedelta(days=30 * month - 7 * n - 3, hours=number % 5)
                    company = self.served_since.get(name)
                    by_company = kind.needs_company and company is not None and company <= china_date(raised)
                    answer, resolve, rating = OUTCOMES[number % len(OUTCOMES)]
                    if raised + timedelta(hours=resolve + 25) > self.now:  # too recent to be done: waiting
                        resolve, rating = 0, 0
                    planned.append(Planned(compound, name, kind, raised, answer, resolve, rating, by_company))
                    number += 1
        return planned

    def seed(self) -> None:
        planned = self.plan()
        s = self.s
        for p in planned:
            with acting(f"resident:{p.compound}:1单元101", clock=lambda p=p: p.raised):
                p.case_id = s.residents.raise_case(compound_id=p.compound, category=p.kind.category,
                                                   description="居民反映的问题", location=p.kind.location.format(b=2 + len(p.name) % 3),
                                                   ).aggregate_id
        wait([lambda p=p: s.branch.exists(CaseFile, CaseFile.create_id(p.case_id)) for p in planned],
             "the branch to receive the street's cases")
        answered = [p for p in planned if p.answer_hours]
        for p in answered:
            at = p.raised + timedelta(hours=p.answer_hours)
            with acting(f"body:branch:{p.compound}", clock=lambda at=at: at):
                if p.by_company:
                    s.branch.dispatch_case(compound_id=p.compound, case_id=p.case_id, taker="property",
                                           assignee="维修班组")
                elif p.kind.category == "property_dispute":
                    s.branch.dispatch_case(compound_id=p.compound, case_id=p.case_id, taker="mediation_room",
                                           assignee="调解员")
                    s.branch.accept_case(compound_id=p.compound, case_id=p.case_id)
                else:
                    s.branch.dispatch_case(compound_id=p.compound, case_id=p.case_id, taker="volunteer_team",
                                           assignee="志愿服务队")
                    s.branch.accept_case(compound_id=p.compound, case_id=p.case_id)
        orders = [p for p in answered if p.by_company]
        wait([lambda p=p: s.property.exists(WorkOrder, WorkOrder.create_id(p.case_id, 1)) for p in orders],
             "the companies' work orders")
        resolved = [p for p in answered if p.resolve_hours]
        for p in resolved:
            at = p.raised + timedelta(hours=p.resolve_hours)
            if p.by_company:
                with acting(f"body:property:{p.compound}", clock=lambda at=at: at - timedelta(hours=1)):
                    s.property.accept_work_order(compound_id=p.compound,
                                                 work_order_id=WorkOrder.create_id(p.case_id, 1))
                with acting(f"body:property:{p.compound}", clock=lambda at=at: at):
                    s.property.resolve_work_order(compound_id=p.compound, summary="已处理",
                                                  work_order_id=WorkOrder.create_id(p.case_id, 1))
            else:
                with acting(f"body:branch:{p.compound}", clock=lambda at=at: at):
                    if p.kind.category == "property_dispute":
                        s.branch.conclude_mediation(compound_id=p.compound, case_id=p.case_id, outcome="agreement",
                                                    note="双方和解")
                    else:
                        s.branch.resolve_case(compound_id=p.compound, case_id=p.case_id, summary="已处理")
        rated = [p for p in resolved if p.rating]
        wait([lambda p=p: s.residents.load(Case, p.case_id, "case").state == "resolved" for p in rated],
             "the residents to note the resolutions")
        for p in rated:
            at = p.raised + timedelta(hours=p.resolve_hours + 24)
            with acting(f"resident:{p.compound}:1单元101", clock=lambda at=at: at):
                s.residents.rate_case(compound_id=p.compound, case_id=p.case_id, score=p.rating,
                                     comment="满意" if p.rating >= 4 else "")
        wait([lambda p=p: s.branch.case_file(p.case_id).state == REOPENED for p in rated if p.rating < 3],
             "the branch to note the reopenings")
        self.choose_problem()

    def choose_problem(self) -> None:
        month = (self.today.replace(day=1) - timedelta(days=40)).replace(day=1)
        with acting("office:street:晋阳街道", clock=lambda: datetime.combine(
                month + timedelta(days=34), datetime.min.time(), tzinfo=timezone.utc)):
            self.s.branch.choose_monthly_problem(
                street="晋阳街道", period=f"{month:%Y-%m}", category="repairs", area="电梯", title="老旧电梯频繁故障",
                decision="街道协调动用维修资金，物业每周巡检电梯并公示维保记录")
