"""The demo: compounds of Jinyang community (晋阳社区), Wuhou district, Chengdu, from the
seeds' report on the "five gardens" (五大花园). Names and the back-gate story are the report's;
household counts, units, people and the other cases are illustrative. Beiyuan carries cases in
every state, some raised days ago so that the deadline watcher escalates them; steps that another
body's policy must take first are waited for. The street's months of requests are
``infra.demo_street``'s. Seeding twice changes nothing."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

from infra.demo_street import StreetMonths
from services.bootstrap import Services
from services.branch.case_file import CaseFile
from services.branch.powers import REPORTED, SupervisionNotice
from services.common.context import acting, china_date
from services.common.errors import RuleViolated
from services.property.fees import fee_for
from services.property.work_order import WorkOrder

DISTRICT, STREET, COMMUNITY = "武侯区", "晋阳街道", "晋阳社区"

COMPOUNDS = [
    # name, households, residents, how it is governed
    ("北苑小区", 420, 1260),  # 四位一体: all four bodies
    ("红运花园", 3600, 12000),  # a branch and a property company, no owners' committee yet
    ("东苑小区", 260, 700),  # 双无: one joint branch (联合建) for the two, no company, no committee
    ("西苑小区", 240, 650),
    ("金雁花园", 800, 2300),  # only a property company: no branch, no committee
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
OTHER_COMPANIES = {"红运花园": ("成都红运物业服务有限公司", "91510107MA6CY8QK3E"),
                   "金雁花园": ("成都金雁物业管理有限公司", "91510107MA6CY8QK4F")}
WAIT_SECONDS = 60.0
# The compounds, their branches and 北苑小区's units are registered on a fixed day (10:00 in China),
# whatever day the demo is seeded: the README's walkthrough asks what stood on 1 November 2026.
# What follows (cases, votes, the committee, the contract) happens in the days before the seed.
FOUNDED = datetime(2026, 10, 15, 2, 0, tzinfo=timezone.utc)


def founded() -> datetime:
    return FOUNDED


def wait(condition: Callable[[], bool], what: str) -> None:
    """Until another body's policy has reacted (the reactor runs beside the seed)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the demo waited too long for {what}; is the reactor running?")
        time.sleep(0.1)


def seed(services: Services) -> None:
    """Registers the compounds not registered yet, and seeds what each one's shape has."""
    fresh: dict[str, UUID] = {}
    with acting("admin", clock=founded):
        for name, households, residents in COMPOUNDS:
            try:
                fresh[name] = services.residents.register_compound(
                    name=name, district=DISTRICT, street=STREET, community=COMMUNITY,
                    households=households, residents=residents,
                ).aggregate_id
            except RuleViolated:
                continue  # seeded before
        companies = {name: services.property.register_company(name=company, credit_code=code).aggregate_id
                     for name, (company, code) in OTHER_COMPANIES.items() if name in fresh}
        for name in ("北苑小区", "红运花园"):
            if name in fresh:
                services.branch.establish_branch(compound_id=fresh[name], name=f"{name}党支部", mode="single")
        if "东苑小区" in fresh and "西苑小区" in fresh:
            services.branch.establish_branch(compound_id=fresh["东苑小区"], name="东西苑联合党支部", mode="joint",
                                             joint_with=[fresh["西苑小区"]])
    if "北苑小区" in fresh:
        compound = fresh["北苑小区"]
        with acting("admin", clock=founded):
            for building, unit, area, owner in BEIYUAN_UNITS:
                services.owners_committee.register_exclusive_unit(
                    compound_id=compound, building=building, unit=unit, exclusive_area=area, owner=owner)
            company = services.property.register_company(
                name=PROPERTY_COMPANY[0], credit_code=PROPERTY_COMPANY[1]).aggregate_id
        Cases(services, compound).seed()
        decisions = Decisions(services, compound, company)
        decisions.seed()
        Governance(services, decisions).seed()
    Neighbours(services, fresh, companies).seed()
    if len(fresh) == len(COMPOUNDS):
        today = china_date(datetime.now(tz=timezone.utc))
        StreetMonths(services, fresh, served_since={"红运花园": today - timedelta(days=2000),
                                                    "金雁花园": today - timedelta(days=2000)}).seed()


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


# The Beiyuan council's 37 seats (the report's figure): three named in the report, and 34 more.
COUNCIL = ["田景余", "李秀英", "周志强", *(f"{surname}{given}" for surname in "王张刘陈杨赵黄吴徐孙胡朱高林何郭马"
                                          for given in ("淑芬", "国强"))]


class Decisions:
    """Beiyuan's decisions and money: the back-gate project from its first meeting to settlement
    (the report's ¥36,000 and 37 council members voting by name; ¥1,500 saved), owners' votes that
    hired the property company and authorised fund spending (its count publicised, one objection
    answered, then final), one that failed, the contract, a disbursement shared by area, and fees."""

    def __init__(self, services: Services, compound: UUID, company: UUID) -> None:
        self.s = services
        self.compound = compound
        self.company = company
        self.today = china_date(datetime.now(tz=timezone.utc))

    def day(self, days_ago: int) -> date:
        return self.today - timedelta(days=days_ago)

    def at(self, days_ago: int) -> Callable[[], datetime]:
        """Noon in China, ``days_ago`` days ago."""
        moment = datetime.combine(self.day(days_ago), datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=4)
        return lambda: moment

    def seed(self) -> None:
        self.project()
        committee, oc = f"body:owners_committee:{self.compound}", self.s.owners_committee
        hire = self.vote("hire_property_company", "续聘成都晋阳物业", "三年，1.60元/㎡·月",
                         ["yes", "yes", "yes", "no", "yes", "abstain"], 22, company_id=self.company)
        with acting(committee, clock=self.at(21)):
            oc.register_contract(compound_id=self.compound, resolution_id=hire, starts_on=self.day(20),
                                 ends_on=self.day(20) + timedelta(days=3 * 365), fee_per_m2=Decimal("1.60"))
        with acting(f"body:property:{self.compound}", clock=self.at(20)):
            self.s.property.take_up_service(compound_id=self.compound, company_id=self.company,
                                            basis="owners_contract", since=self.day(20))
        # 王建国 objects that his paper ballot said yes; the committee shows him it said no.
        fund = self.vote("use_maintenance_fund", "动用维修资金更换2栋电梯钢丝绳", "预算20000元",
                         ["yes", "yes", "no", "yes", "yes", "yes"], 10, amount=Decimal("20000"),
                         objection=("2栋", "2单元301", "我的纸质票勾选的是同意，统计为反对",
                                    "复核原始纸质票：勾选反对，已请业主到业委会现场核对"))
        with acting(committee):
            oc.authorise_fund_use(compound_id=self.compound, resolution_id=fund, purpose="2栋电梯更换钢丝绳")
            oc.disburse_fund(compound_id=self.compound, resolution_id=fund, amount=Decimal("12500"),
                             payee="成都电梯维保公司", paid_on=self.day(3), borne_by=["2栋"])
        # Charging posts on common parts change their use: 3/4 of the participants are needed.
        self.vote("change_common_parts", "利用车棚公共部位增设电动车充电桩", "由物业出资建设，按次收费",
                  ["yes", "yes", "yes", "no", "no", "yes"], 9)
        self.fees()

    def vote(self, matter: str, title: str, description: str, choices: list[str], final_days_ago: int,
             objection: tuple[str, str, str, str] | None = None, **extra) -> UUID:
        """A vote every owner is given a ballot for and takes part in (王建国 and the developer once
        each), its count publicised for 7 days, then final ``final_days_ago`` days ago. An
        ``objection``: the unit, what its owner says, and why the committee rejects it."""
        oc, committee = self.s.owners_committee, f"body:owners_committee:{self.compound}"
        with acting(committee, clock=self.at(final_days_ago + 8)):
            vote = oc.open_vote(compound_id=self.compound, matter=matter, title=title, description=description,
                                closes_on=self.day(final_days_ago + 8), **extra).aggregate_id
            for building, unit, _, owner in BEIYUAN_UNITS:
                oc.deliver_ballot(compound_id=self.compound, vote_id=vote, building=building, unit=unit,
                                  method="in_person" if owner != "成都北苑置业有限公司" else "post",
                                  delivered_on=self.day(final_days_ago + 8), recipient=owner)
            voters = [(b, u) for b, u, _, _ in BEIYUAN_UNITS if u != "2单元302" and (b, u) != ("5栋", "1单元102")]
            for (building, unit), choice in zip(voters, choices, strict=True):
                oc.cast_ballot(compound_id=self.compound, vote_id=vote, building=building, unit=unit, choice=choice,
                               channel="paper" if choice == "abstain" else "online")
            oc.close_vote(compound_id=self.compound, vote_id=vote)
        if objection is not None:
            building, unit, says, answer = objection
            with acting(committee, clock=self.at(final_days_ago + 6)):
                oc.lodge_vote_objection(compound_id=self.compound, vote_id=vote, building=building, unit=unit,
                                        objection=says)
                oc.answer_vote_objection(compound_id=self.compound, vote_id=vote, number=1, upheld=False,
                                         reason=answer)
        with acting(committee, clock=self.at(final_days_ago)):
            oc.finalise_vote(compound_id=self.compound, vote_id=vote)
        return vote

    def project(self) -> None:
        r, compound = self.s.residents, self.compound
        with acting(f"body:residents:{compound}"):
            for name in COUNCIL:
                r.seat_council_member(compound_id=compound, name=name, role="议事会成员", joined_on=self.day(120))
            project = r.propose_project(compound_id=compound, title="北苑后门改造", proposed_by="residents_council",
                                        description="后门年久失修，关不上，居民出行不便").aggregate_id

            def step(name: str, **kwargs) -> None:
                getattr(r, name)(compound_id=compound, project_id=project, **kwargs)

            def council_vote(voted_on: date, yes: int, no: int, abstain: int) -> None:
                """The council's secretary records each of the 37 members' votes, by name."""
                step("open_council_vote", subject="plan", opened_on=voted_on)
                votes = ["yes"] * yes + ["no"] * no + ["abstain"] * abstain
                for member, vote in zip(COUNCIL, votes + ["absent"] * (len(COUNCIL) - len(votes)), strict=True):
                    step("record_council_member_vote", member=member, vote=vote)
                step("close_council_vote", voted_on=voted_on)

            step("hold_project_meeting", held_on=self.day(90), minutes="居民议事会商议后门改造，征集意见",
                 attendees=["晋阳社区居委会", "北苑居民议事会", "北苑小区党支部"],
                 bodies=["community", "residents_council", "branch"])
            step("hold_project_meeting", held_on=self.day(80), minutes="施工方现场勘查，确定方案与预算",
                 attendees=["北苑居民议事会", "施工方"], bodies=["residents_council", "contractor"])
            plan = {"content": "更换后大门、加装门禁和照明", "budget": Decimal("36000"), "funding": "self_raised",
                    "contributing_households": 28, "contribution_per_household": Decimal("1285.71")}
            step("draft_project_plan", **plan)
            step("publicise_project", posted_on=self.day(75), days=7)
            council_vote(self.day(66), yes=24, no=9, abstain=3)  # 24 of 37: short of 2/3, rejected
            step("draft_project_plan", **plan)  # the same plan, explained again
            step("publicise_project", posted_on=self.day(64), days=7)
            step("lodge_project_objection", lodged_on=self.day(62), objection="门禁卡费用由谁承担？")
            step("answer_project_objection", number=1, answer="由28户自筹款统一支付")
            council_vote(self.day(55), yes=25, no=8, abstain=3)  # 25 of 37: approved
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
        """The month the contract began and the next (billed ahead, 预收), at its ¥1.60 per m² a
        month; fewer paid the later one."""
        start = self.day(20)
        following = (start.replace(day=1) + timedelta(days=31)).replace(day=1)
        months = [f"{d.year}-{d.month:02d}" for d in (start, following)]
        with acting(f"body:property:{self.compound}"):
            for period, paying in zip(months, (6, 4), strict=True):
                for n, (building, unit, area, _) in enumerate(BEIYUAN_UNITS):
                    household, amount = f"{building}-{unit}", fee_for(Decimal("1.60"), area, period)
                    self.s.property.bill_fee(compound_id=self.compound, period=period, household=household,
                                             amount=amount)
                    if n < paying:
                        self.s.property.record_fee_payment(compound_id=self.compound, period=period,
                                                           household=household, amount=amount,
                                                           paid_on=self.today)


class Governance:
    """Beiyuan's governance, four in one: the committee the owners elect, the company serving on their
    contract, the council; the branch's members and their roles, its seats on the other bodies, a
    joint meeting, suggestions, a notice rectified and one overdue, an evaluation."""

    def __init__(self, services: Services, decisions: Decisions) -> None:
        self.s, self.decisions = services, decisions
        self.compound, self.company, self.day = decisions.compound, decisions.company, decisions.day

    def seed(self) -> None:
        c, s = self.compound, self.s
        election = self.decisions.vote("elect_committee", "选举第一届业主委员会", "候选人三名",
                                       ["yes", "yes", "yes", "yes", "no", "yes"], 1,
                                       candidates=["王建国", "陈桂兰", "周志强"])
        with acting(f"body:owners_committee:{c}"):
            s.owners_committee.record_committee_election(
                compound_id=c, resolution_id=election, term_starts=self.day(0),
                term_ends=self.day(0) + timedelta(days=3 * 365))
        self.branch()
        self.powers()

    def branch(self) -> None:
        c, b = self.compound, self.s.branch
        with acting(f"body:branch:{c}"):
            self.members = {
                name: b.report_member(compound_id=c, name=name, building=building, kind=kind,
                                      organisation=organisation, reported_on=self.day(days))[1]
                for name, building, kind, organisation, days in (
                    ("田景余", "1栋", "resident", "", 200),  # the retired policeman of the report
                    ("王建国", "2栋", "in_service", "武侯区税务局机关党委", 150),
                    ("陈桂兰", "3栋", "resident", "", 150),
                    ("张明", "3栋", "resident", "", 100),
                    ("李秀英", "1栋", "floating", "绵阳市涪城区城北社区党委", 60))}
            m = self.members
            b.choose_branch_committee(compound_id=c, secretary=m["田景余"], members=[m["王建国"], m["陈桂兰"]],
                                      chosen_on=self.day(90))
            for building, leader, others in (("1栋", "田景余", ["李秀英"]), ("3栋", "陈桂兰", ["张明"])):
                group = b.form_building_group(compound_id=c, building=building, leader=m[leader])[1]
                for other in others:
                    b.assign_to_group(compound_id=c, group_id=group, member_id=m[other])
            b.designate_central_household(compound_id=c, member_id=m["张明"], households=12)
            b.record_cross_appointment(compound_id=c, member_id=m["王建国"], body="owners_committee", seat="委员",
                                       since=self.day(0))
            b.record_cross_appointment(compound_id=c, member_id=m["田景余"], body="residents", seat="议事会成员",
                                       since=self.day(120))
            b.attach_body(compound_id=c, kind="supervisory_committee", name="北苑小区监委会")
            b.attach_body(compound_id=c, kind="social_organisation", name="晋阳志愿者协会")
            b.record_activity(compound_id=c, held_on=self.day(12), title="主题党日：清理楼道杂物",
                              participants=[m["田景余"], m["王建国"], m["张明"]], residents_attending=25)
            b.record_activity(compound_id=c, held_on=self.day(5), title="为独居老人送餐上门",
                              participants=[m["陈桂兰"], m["李秀英"]], residents_attending=40)

    def powers(self) -> None:
        c, b = self.compound, self.s.branch
        with acting(f"body:branch:{c}"):
            b.hold_joint_meeting(compound_id=c, held_on=self.day(10), topic="车棚增设电动车充电桩",
                                 bodies=["branch", "residents", "owners_committee", "property"],
                                 attendees=[3, 8, 3, 2], decisions=["由业委会提请业主大会表决", "物业先行排查线路隐患"])
            b.recommend_candidates(compound_id=c, recommended_to="owners_committee",
                                   candidates=["王建国", "陈桂兰", "周志强"], note="推荐党员和热心业主")
            patrol = b.make_suggestion(compound_id=c, addressed_to="property", subject="夜间巡逻",
                                       text="建议增加夜间巡逻频次，后门加装照明", made_on=self.day(20),
                                       answer_by=self.day(10)).aggregate_id
            b.make_suggestion(compound_id=c, addressed_to="owners_committee", subject="维修资金公示",
                              text="建议按季度公示维修资金使用明细", made_on=self.day(3),
                              answer_by=self.day(-12))
            fire = b.issue_supervision_notice(compound_id=c, addressed_to="property", matter="消防通道堵塞",
                                              requirement="清理2栋消防通道，设置禁停标识", issued_on=self.day(15),
                                              rectify_by=self.day(5)).aggregate_id
            b.issue_supervision_notice(compound_id=c, addressed_to="property", matter="电梯年检逾期",
                                       requirement="完成2栋电梯年度检验并公示", issued_on=self.day(30),
                                       rectify_by=self.day(8))  # not rectified: overdue
        with acting(f"body:property:{c}"):
            self.s.property.answer_suggestion(compound_id=c, suggestion_id=patrol, response="partly",
                                              reason="夜间巡逻已增加，后门照明待议事会项目完成", answered_on=self.day(12))
            self.s.property.report_rectification(compound_id=c, notice_id=fire, report="已清理并设置禁停标识",
                                                 reported_on=self.day(6))
        wait(lambda: b.load(SupervisionNotice, fire, "notice").state == REPORTED,
             "the branch to note the rectification")
        with acting(f"body:branch:{c}"):
            b.close_supervision_notice(compound_id=c, notice_id=fire, note="复查合格")
            evaluation = b.open_evaluation(compound_id=c, evaluated="property", title="2026年度物业服务评议",
                                           closes_on=self.day(-14)).aggregate_id
            sheets = [("resident", f"{building}{unit}", score) for (building, unit, _, _), score
                      in zip(BEIYUAN_UNITS[:6], (5, 4, 4, 3, 5, 4), strict=True)]
            sheets += [("member", name, 4) for name in ("田景余", "陈桂兰", "张明")]
            for kind, rater, score in sheets:
                b.score_evaluation(compound_id=c, evaluation_id=evaluation, rater_kind=kind, rater=rater, score=score)
            b.publish_evaluation(compound_id=c, evaluation_id=evaluation)


class Neighbours:
    """The other compounds' shapes: 红运花园 with its branch and the developer's company; 东苑 and
    西苑 under one joint branch with neither company nor committee (双无); 金雁花园 with only a
    company."""

    def __init__(self, services: Services, fresh: dict[str, UUID], companies: dict[str, UUID]) -> None:
        self.s, self.fresh, self.companies = services, fresh, companies
        self.today = china_date(datetime.now(tz=timezone.utc))

    def day(self, days_ago: int) -> date:
        return self.today - timedelta(days=days_ago)

    def seed(self) -> None:
        for name in ("红运花园", "金雁花园"):
            if name in self.fresh:
                with acting(f"body:property:{self.fresh[name]}"):
                    self.s.property.take_up_service(compound_id=self.fresh[name], company_id=self.companies[name],
                                                    basis="preliminary", since=self.day(2000))
        if "红运花园" in self.fresh:
            c, b = self.fresh["红运花园"], self.s.branch
            with acting(f"body:branch:{c}"):
                members = [b.report_member(compound_id=c, name=name, building=building, kind=kind,
                                           organisation=organisation, reported_on=self.day(100))[1]
                           for name, building, kind, organisation in (
                               ("李含荣", "临河4栋", "resident", ""), ("赵静", "8栋", "in_service", "成都市第七中学党委"))]
                b.record_activity(compound_id=c, held_on=self.day(40), title="楠杆堰河边植树",
                                  participants=members, residents_attending=28)
                b.make_suggestion(compound_id=c, addressed_to="property", subject="筹备业主大会",
                                  text="建议配合筹备首次业主大会，提供业主名册", made_on=self.day(30),
                                  answer_by=self.day(15))  # unanswered: overdue
        if "东苑小区" in self.fresh and "西苑小区" in self.fresh:
            east, west, b = self.fresh["东苑小区"], self.fresh["西苑小区"], self.s.branch
            with acting(f"body:branch:{east},{west}"):
                for compound, name, building in ((east, "刘德福", "2栋"), (west, "何素芳", "5栋")):
                    b.report_member(compound_id=compound, name=name, building=building, kind="resident",
                                    organisation="", reported_on=self.day(50))
                b.hold_joint_meeting(compound_id=east, held_on=self.day(7), topic="引入物业还是居民自管",
                                     bodies=["branch", "residents"], attendees=[2, 15],
                                     decisions=["先由居民小组自管，申请街道应急托管"])
