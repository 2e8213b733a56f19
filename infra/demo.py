"""The demo: compounds of Jinyang community (晋阳社区), Wuhou district, Chengdu, from the
seeds' report on the "five gardens" (五大花园). Names and the back-gate story are the report's;
household counts, units, people and the other cases are illustrative. Beiyuan carries cases in
every state, some raised days ago so that the deadline watcher escalates them; steps that another
body's policy must take first are waited for. Seeding twice changes nothing."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

from services.bootstrap import Services
from services.branch.case_file import CaseFile
from services.common.context import acting, china_date
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
    ("2栋", "2单元302", Decimal("95.40"), "王建国"),
    ("3栋", "1单元201", Decimal("88.00"), "陈桂兰"),
    ("3栋", "1单元202", Decimal("88.00"), "周志强"),
    ("5栋", "1单元101", Decimal("120.60"), "成都北苑置业有限公司"),  # unsold: the developer's
    ("5栋", "1单元102", Decimal("120.60"), "成都北苑置业有限公司"),
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
                company = services.property.register_company(
                    name=PROPERTY_COMPANY[0], credit_code=PROPERTY_COMPANY[1]).aggregate_id
                Cases(services, compound).seed()
                Decisions(services, compound, company).seed()


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


class Decisions:
    """Beiyuan's decisions and money: the back-gate project from its first meeting to settlement
    (the report's ¥36,000 and 37 council members; ¥1,500 saved), owners' votes that hired the
    property company and authorised fund spending, one that failed, the contract and fees."""

    def __init__(self, services: Services, compound: UUID, company: UUID) -> None:
        self.s = services
        self.compound = compound
        self.company = company
        self.today = china_date(datetime.now(tz=timezone.utc))

    def day(self, days_ago: int) -> date:
        return self.today - timedelta(days=days_ago)

    def seed(self) -> None:
        self.project()
        with acting(f"body:owners_committee:{self.compound}"):
            oc = self.s.owners_committee
            hire = self.vote("hire_property_company", "续聘成都晋阳物业", "三年，1.60元/㎡·月",
                             ["yes", "yes", "yes", "no", "yes", "abstain"], company_id=self.company)
            oc.register_contract(compound_id=self.compound, resolution_id=hire, starts_on=self.day(20),
                                 ends_on=self.day(20) + timedelta(days=3 * 365), fee_per_m2=Decimal("1.60"))
            fund = self.vote("use_maintenance_fund", "动用维修资金更换2栋电梯钢丝绳", "预算20000元",
                             ["yes", "yes", "no", "yes", "yes", "yes"], amount=Decimal("20000"))
            oc.authorise_fund_use(compound_id=self.compound, resolution_id=fund, purpose="2栋电梯更换钢丝绳")
            oc.disburse_fund(compound_id=self.compound, resolution_id=fund, amount=Decimal("12500"),
                             payee="成都电梯维保公司", paid_on=self.day(3))
            # Charging posts on common parts change their use: 3/4 of the participants are needed.
            self.vote("change_common_parts", "利用车棚公共部位增设电动车充电桩", "由物业出资建设，按次收费",
                      ["yes", "yes", "yes", "no", "no", "yes"])
        self.fees()

    def vote(self, matter: str, title: str, description: str, choices: list[str], **extra) -> UUID:
        """A vote every owner takes part in: one ballot per owner (王建国 and the developer once each)."""
        oc = self.s.owners_committee
        vote = oc.open_vote(compound_id=self.compound, matter=matter, title=title, description=description,
                            closes_on=self.today, **extra).aggregate_id
        voters = [(b, u) for b, u, _, owner in BEIYUAN_UNITS if u != "2单元302" and (b, u) != ("5栋", "1单元102")]
        for (building, unit), choice in zip(voters, choices, strict=True):
            oc.cast_ballot(compound_id=self.compound, vote_id=vote, building=building, unit=unit, choice=choice,
                           channel="paper" if choice == "abstain" else "online")
        oc.close_vote(compound_id=self.compound, vote_id=vote)
        return vote

    def project(self) -> None:
        r, compound = self.s.residents, self.compound
        with acting(f"body:residents:{compound}"):
            project = r.propose_project(compound_id=compound, title="北苑后门改造", proposed_by="residents_council",
                                        description="后门年久失修，关不上，居民出行不便").aggregate_id

            def step(name: str, **kwargs) -> None:
                getattr(r, name)(compound_id=compound, project_id=project, **kwargs)

            step("hold_project_meeting", held_on=self.day(90), minutes="居民议事会商议后门改造，征集意见",
                 attendees=["晋阳社区居委会", "北苑居民议事会", "北苑小区党支部"],
                 bodies=["community", "residents_council", "branch"])
            step("hold_project_meeting", held_on=self.day(80), minutes="施工方现场勘查，确定方案与预算",
                 attendees=["北苑居民议事会", "施工方"], bodies=["residents_council", "contractor"])
            plan = {"content": "更换后大门、加装门禁和照明", "budget": Decimal("36000"), "funding": "self_raised",
                    "contributing_households": 28, "contribution_per_household": Decimal("1285.71")}
            step("draft_project_plan", **plan)
            step("publicise_project", posted_on=self.day(75), days=7)
            step("vote_on_project", voted_on=self.day(66), members=37, yes=24, no=9, abstain=4)
            step("draft_project_plan", **plan)  # the same plan, explained again
            step("publicise_project", posted_on=self.day(64), days=7)
            step("lodge_project_objection", lodged_on=self.day(62), objection="门禁卡费用由谁承担？")
            step("answer_project_objection", number=1, answer="由28户自筹款统一支付")
            step("vote_on_project", voted_on=self.day(55), members=37, yes=25, no=8, abstain=4)
            step("receive_project_bid", bidder="锦江建筑工程队", amount=Decimal("36000"))
            step("receive_project_bid", bidder="晋阳施工队", amount=Decimal("34500"), note="质保两年")
            step("choose_project_contractor", bid=2, reason="比选：报价低1500元，质保更长")
            step("start_project_works", started_on=self.day(45))
            step("record_project_inspection", inspected_on=self.day(40), inspector="北苑义务监督队",
                 finding="门框材料与方案一致")
            step("complete_project_works", completed_on=self.day(35))
            step("accept_project", accepted_on=self.day(33), note="居民议事会验收合格")
            step("settle_project", actual=Decimal("34500"), settled_on=self.day(30))

    def fees(self) -> None:
        with acting(f"body:property:{self.compound}"):
            for period, paying in (("2026-Q3", 6), ("2026-Q4", 4)):
                for n, (building, unit, area, _) in enumerate(BEIYUAN_UNITS):
                    household = f"{building}{unit}"
                    amount = (area * Decimal("1.60") * 3).quantize(Decimal("0.01"))
                    self.s.property.bill_fee(compound_id=self.compound, period=period, household=household,
                                             amount=amount)
                    if n < paying:
                        self.s.property.record_fee_payment(compound_id=self.compound, period=period,
                                                           household=household, amount=amount,
                                                           paid_on=self.day(10))
