"""The demo: compounds of Jinyang community (晋阳社区), Wuhou district, Chengdu, from the
seeds' report on the "five gardens" (五大花园). Names and the back-gate story are the report's;
household counts, units, people and the other cases are illustrative. Beiyuan carries cases in
every state, some raised days ago so that the deadline watcher escalates them; steps that another
body's policy must take first are waited for. Seeding twice changes nothing."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

from services.bootstrap import Services
from services.branch.case_file import CaseFile
from services.common.context import acting
from services.common.errors import RuleViolated
from services.property.work_order import WorkOrder

DISTRICT, STREET, COMMUNITY = "武侯区", "晋阳街道", "晋阳社区"

COMPOUNDS = [
    # name, households, residents, branch name
    ("北苑小区", 420, 1260, "北苑小区党支部"),
    ("红运花园", 3600, 12000, "红运花园小区党支部"),
]
BEIYUAN_UNITS = [
    ("1栋", "1单元101", Decimal("89.50"), "田景余"),
    ("1栋", "1单元102", Decimal("76.20"), "李秀英"),
    ("2栋", "2单元301", Decimal("102.80"), "王建国"),
]
PROPERTY_COMPANY = ("成都晋阳物业服务有限公司", "91510107MA6CY8QK2D")
WAIT_SECONDS = 60.0


def wait(condition: Callable[[], bool], what: str) -> None:
    """Until another body's policy has reacted (the reactor runs beside the seed)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the demo waited too long for {what}; is the reactor running?")
        time.sleep(0.1)


def seed(services: Services) -> None:
    with acting("admin"):
        for name, households, residents, branch in COMPOUNDS:
            try:
                receipt = services.residents.register_compound(
                    name=name, district=DISTRICT, street=STREET, community=COMMUNITY,
                    households=households, residents=residents,
                )
            except RuleViolated:
                continue  # seeded before
            compound = receipt.aggregate_id
            services.branch.establish_branch(compound_id=compound, name=branch, mode="single")
            if name == "北苑小区":
                for building, unit, area, owner in BEIYUAN_UNITS:
                    services.owners_committee.register_exclusive_unit(
                        compound_id=compound, building=building, unit=unit, exclusive_area=area, owner=owner)
                services.property.register_company(name=PROPERTY_COMPANY[0], credit_code=PROPERTY_COMPANY[1])
                Cases(services, compound).seed()


class Cases:
    """Beiyuan's cases, one in each state."""

    def __init__(self, services: Services, compound: UUID) -> None:
        self.s = services
        self.compound = compound
        self.now = datetime.now(tz=timezone.utc)

    def at(self, hours_ago: float) -> Callable[[], datetime]:
        return lambda: self.now - timedelta(hours=hours_ago)

    def raise_(self, hours_ago: float, unit: str, category: str, description: str, location: str) -> UUID:
        with acting(f"resident:{self.compound}:{unit}", clock=self.at(hours_ago)):
            case = self.s.residents.raise_case(compound_id=self.compound, category=category,
                                               description=description, location=location).aggregate_id
        wait(lambda: self.s.branch.exists(CaseFile, CaseFile.create_id(case)), "the branch to receive a case")
        return case

    def branch(self, hours_ago: float, step: str, case: UUID, **kwargs) -> None:
        with acting(f"body:branch:{self.compound}", clock=self.at(hours_ago)):
            getattr(self.s.branch, step)(compound_id=self.compound, case_id=case, **kwargs)

    def to_property(self, hours_ago: float, case: UUID) -> UUID:
        self.branch(hours_ago, "dispatch_case", case, taker="property", assignee=PROPERTY_COMPANY[0])
        order = WorkOrder.create_id(case, self.s.branch.case_file(case).dispatches)
        wait(lambda: self.s.property.exists(WorkOrder, order), "the property company's work order")
        return order

    def property(self, hours_ago: float, step: str, order: UUID, **kwargs) -> None:
        with acting(f"body:property:{self.compound}", clock=self.at(hours_ago)):
            getattr(self.s.property, step)(compound_id=self.compound, work_order_id=order, **kwargs)

    def rate(self, hours_ago: float, unit: str, case: UUID, score: int, comment: str) -> None:
        wait(lambda: self.s.residents.repository.get(case).state == "resolved", "the residents to note a resolution")
        with acting(f"resident:{self.compound}:{unit}", clock=self.at(hours_ago)):
            self.s.residents.rate_case(compound_id=self.compound, case_id=case, score=score, comment=comment)

    def seed(self) -> None:
        # closed: the back gate (北苑后门), repaired by the property company and rated
        gate = self.raise_(150, "1单元101", "repairs", "后大门太破了，经常关不上", "后门")
        order = self.to_property(149, gate)
        self.property(148, "accept_work_order", order)
        self.property(120, "resolve_work_order", order, summary="更换门锁和合页，重新刷漆")
        self.rate(100, "1单元101", gate, 5, "修得很好")
        # reopened: rated below 3
        lamp = self.raise_(96, "1单元102", "environment_and_sanitation", "垃圾站异味", "3栋旁垃圾站")
        self.branch(95, "dispatch_case", lamp, taker="volunteer_team", assignee="北苑志愿服务队")
        self.branch(94, "accept_case", lamp)
        self.branch(60, "resolve_case", lamp, summary="清洗消毒")
        self.rate(50, "1单元102", lamp, 2, "两天后又有味道")
        # refused by the property company, waiting to be dispatched again
        parking = self.raise_(30, "2单元301", "parking_and_charging", "电动车充电桩不够", "车棚")
        self.property(28, "refuse_work_order", self.to_property(29, parking), reason="需业主大会决定增设")
        # accepted and in progress
        leak = self.raise_(5, "1单元101", "repairs", "楼顶漏水", "1栋顶楼")
        order = self.to_property(4, leak)
        self.property(3, "accept_work_order", order)
        self.property(2, "record_work_order_progress", order, note="已联系防水施工队")
        # dispatched to a party member, not yet accepted
        elderly = self.raise_(3, "2单元301", "elderly_and_care_services", "独居老人需要助餐", "2栋")
        self.branch(2, "dispatch_case", elderly, taker="party_member", assignee="党员中心户 张明")
        # raised 30 hours ago and never dispatched: overdue, the deadline watcher escalates it
        self.raise_(30, "1单元102", "safety", "楼道堆放杂物，堵塞消防通道", "2栋楼道")
        # withdrawn
        noise = self.raise_(20, "1单元101", "other", "广场舞音乐太吵", "中心广场")
        with acting(f"resident:{self.compound}:1单元101", clock=self.at(19)):
            self.s.residents.withdraw_case(compound_id=self.compound, case_id=noise, reason="已协商解决")
        # a neighbour dispute settled in the mediation room
        dispute = self.raise_(72, "2单元301", "neighbour_dispute", "楼上漏水到我家", "2单元")
        self.branch(71, "dispatch_case", dispute, taker="mediation_room", assignee="晋阳物业调解室")
        self.branch(70, "accept_case", dispute)
        self.branch(48, "conclude_mediation", dispute, outcome="agreement", note="楼上住户负责维修并赔偿")
        # claims (认领): the cherry trees by the river (28 households raised ¥2,000 in the report)
        with acting(f"body:branch:{self.compound}", clock=self.at(200)):
            volunteers = self.s.branch.register_organisation(
                compound_id=self.compound, name="晋阳志愿者协会", kind="social_organisation").aggregate_id
            trees = self.s.branch.publish_claimable(
                compound_id=self.compound, title="楠杆堰河边种樱花", description="临河四个单元28户自筹2000元",
                kind="project").aggregate_id
            self.s.branch.publish_claimable(compound_id=self.compound, title="楼道照明改造",
                                            description="老旧楼道灯具更换", kind="need")
            self.s.branch.record_claim(compound_id=self.compound, claimable_id=trees, organisation_id=volunteers)
            self.s.branch.record_claim_solved(compound_id=self.compound, claimable_id=trees,
                                              report="植树节种下50棵樱花树")
