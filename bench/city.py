"""A synthetic city, the same for the same seed: compounds of every shape and a year of their
governance, recorded through the real services.

Each compound's plan is drawn from its own random stream (``seed/index``), so a compound is the
same whatever the city's size or the order the workers take them in. The year is recorded in
four rounds over all compounds; between rounds the reactor must have carried every step one
body's policy takes for another (a case received by the branch, a work order opened for a
dispatch, a resolution noted for the resident who will rate it).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

from services.bootstrap import Services
from services.branch.case_file import CaseFile
from services.branch.powers import REPORTED, SupervisionNotice
from services.common.context import acting, china_date
from services.property.fees import fee_for
from services.property.work_order import WorkOrder
from services.residents.case import Case

# Chengdu's twelve districts (the seeds' city); streets and communities are numbered within them.
DISTRICTS = ["锦江区", "青羊区", "金牛区", "武侯区", "成华区", "龙泉驿区", "青白江区", "新都区",
             "温江区", "双流区", "郫都区", "新津区"]
COMPOUNDS_PER_STREET = 100  # a street office supervises a few hundred compounds at most
COMPOUNDS_PER_COMMUNITY = 12
COMPOUNDS_PER_COMPANY = 8
PREFIXES = ["锦城", "蜀都", "芙蓉", "金沙", "浣花", "望江", "玉林", "桐梓", "青龙", "紫荆", "新华", "光华"]
SUFFIXES = ["花园", "小区", "苑", "家园", "雅居", "公寓", "新村", "华府"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["建国", "秀英", "桂兰", "志强", "德福", "素芳", "明", "静", "伟", "芳", "敏", "军", "丽", "强",
         "磊", "洋", "艳", "勇", "杰", "娟"]
# shape: (weight, branch, owners' committee, property company)
SHAPES = {"four_in_one": (45, True, True, True), "branch_and_company": (30, True, False, True),
          "two_none": (15, True, False, False), "company_only": (10, False, False, True)}
# how a case goes: (weight, needs a company)
PATHS = {"property": (35, True), "refused": (5, True), "volunteer": (20, False), "party_member": (10, False),
         "mediation": (8, False), "withdrawn": (10, False), "waiting": (12, False)}
# Where cases are raised: a home, or a common place of a building or of the compound.
PLACES = ["{u}", "{b}栋电梯", "{b}栋楼道", "{b}栋旁垃圾站", "车棚", "地下车库", "中心广场", "{b}栋顶楼"]
CATEGORIES = ["repairs", "environment_and_sanitation", "parking_and_charging", "safety",
              "elderly_and_care_services", "other"]
YEAR_DAYS = 365


def street_of(index: int) -> tuple[str, str, str]:
    """District, street and community of the compound at ``index``."""
    street = index // COMPOUNDS_PER_STREET
    district = DISTRICTS[street % len(DISTRICTS)]
    community = (index % COMPOUNDS_PER_STREET) // COMPOUNDS_PER_COMMUNITY
    return district, f"{district[:-1]}第{street + 1}街道", f"{district[:-1]}第{street + 1}街道第{community + 1}社区"


@dataclass
class CasePlan:
    unit: str
    location: str
    category: str
    path: str
    raised_days_ago: int
    rating: int
    case_id: UUID | None = None
    order_id: UUID | None = None


@dataclass
class CompoundPlan:
    """What one compound is and does in the year; the ids its steps get, once recorded."""

    index: int
    name: str
    district: str
    street: str
    community: str
    shape: str
    households: int
    units: list[tuple[str, str, Decimal, str]]  # building, unit, area, owner
    members: list[tuple[str, str, str]]  # name, building, kind
    cases: list[CasePlan]
    project: bool
    fund_use: bool
    suggestion: bool
    notice: bool
    evaluation: bool
    company: int | None
    active: bool  # a year of activity, or only its bodies
    compound_id: UUID | None = None
    ids: dict[str, UUID] = field(default_factory=dict)

    @property
    def has(self) -> tuple[bool, bool, bool]:
        return SHAPES[self.shape][1:]


def plan(seed: int, index: int, active_share: float = 1.0) -> CompoundPlan:
    """Compound ``index`` of the city ``seed``. It is active (a year of activity) with probability
    ``active_share``; a quiet one has only its bodies, its committee elected on one owner's unit."""
    rng = random.Random(f"{seed}/{index}")
    active = rng.random() < active_share
    shape = rng.choices(list(SHAPES), weights=[w for w, *_ in SHAPES.values()])[0]
    branch, committee, company = SHAPES[shape][1:]
    lively = branch and active
    district, street, community = street_of(index)
    households = rng.randint(80, 3000)
    owners = rng.sample([s + g for s in SURNAMES for g in GIVEN], 10)
    unit_count = (rng.randint(4, 8) if active else 1) if committee else 0
    places = [(rng.randint(1, 12), rng.randint(1, 3), rng.randint(1, 18), rng.randint(1, 4)) for _ in range(unit_count)]
    units = [(f"{b}栋", f"{u}单元{f}0{d}", Decimal(rng.randint(5500, 14000)) / 100, owners[n])
             for n, (b, u, f, d) in enumerate(places)]
    units = list({(b, u): (b, u, a, o) for b, u, a, o in units}.values())
    paths = [p for p, (_, needs_company) in PATHS.items() if company or not needs_company]
    cases = [CasePlan(unit=(unit := f"{rng.randint(1, 3)}单元{rng.randint(1, 18)}0{rng.randint(1, 4)}"),
                      location=rng.choice(PLACES).format(u=unit, b=rng.randint(1, 12)),
                      category=rng.choice(CATEGORIES),
                      path=rng.choices(paths, weights=[PATHS[p][0] for p in paths])[0],
                      raised_days_ago=rng.randint(3, YEAR_DAYS), rating=rng.choices([5, 4, 3, 2], [5, 3, 1, 1])[0])
             for _ in range(rng.randint(0, 6) if lively else 0)]
    for case in cases:
        if case.path == "mediation":
            case.category = "neighbour_dispute"
    return CompoundPlan(
        index=index, name=f"{rng.choice(PREFIXES)}{rng.choice(SUFFIXES)}{index + 1}号", district=district,
        street=street, community=community, shape=shape, households=households, units=units,
        members=[(name, f"{rng.randint(1, 12)}栋", rng.choice(["resident", "resident", "in_service", "floating"]))
                 for name in owners[:rng.randint(2, 5) if lively else 0]],
        cases=cases, project=lively and rng.random() < 0.2, fund_use=active and committee and rng.random() < 0.2,
        suggestion=lively and company and rng.random() < 0.5, notice=lively and company and rng.random() < 0.3,
        evaluation=active and committee and rng.random() < 0.5,
        company=index // COMPOUNDS_PER_COMPANY if company else None, active=active,
    )


def council_of(p: CompoundPlan) -> list[str]:
    """The residents' council: two owners, or two residents where no unit is registered."""
    return [owner for *_, owner in p.units[:2]] or ["议事会成员甲", "议事会成员乙"]


class Recorder:
    """Records compounds' plans through the services, round by round."""

    def __init__(self, services: Services) -> None:
        self.s = services
        self.now = datetime.now(tz=timezone.utc)
        self.today = china_date(self.now)
        self.companies: dict[int, UUID] = {}

    def at(self, days_ago: float) -> Callable[[], datetime]:
        moment = self.now - timedelta(days=days_ago)
        return lambda: moment

    def day(self, days_ago: int) -> date:
        return self.today - timedelta(days=days_ago)

    def register_company(self, number: int) -> None:
        with acting("admin", clock=self.at(YEAR_DAYS + 60)):
            self.companies[number] = self.s.property.register_company(
                name=f"成都第{number + 1}物业服务有限公司", credit_code=f"91510100MA{number:08d}").aggregate_id

    # -- round 1: what needs no other body's reaction ---------------------------------------------

    def found(self, p: CompoundPlan) -> None:
        s = self.s
        branch, committee, company = p.has
        with acting("admin", clock=self.at(YEAR_DAYS + 30)):
            p.compound_id = c = s.residents.register_compound(
                name=p.name, district=p.district, street=p.street, community=p.community,
                households=p.households, residents=p.households * 3).aggregate_id
            if branch:
                s.branch.establish_branch(compound_id=c, name=f"{p.name}党支部", mode="single")
            for building, unit, area, owner in p.units:
                s.owners_committee.register_exclusive_unit(compound_id=c, building=building, unit=unit,
                                                           exclusive_area=area, owner=owner)
        if committee:
            with acting(f"body:owners_committee:{c}", clock=self.at(YEAR_DAYS)):
                election = self.vote(p, "elect_committee", "选举业主委员会", YEAR_DAYS,
                                     candidates=[o for *_, o in p.units[:3]])
                s.owners_committee.record_committee_election(
                    compound_id=c, resolution_id=election, term_starts=self.day(YEAR_DAYS),
                    term_ends=self.day(YEAR_DAYS) + timedelta(days=3 * 365))
                if p.active:
                    hire = self.vote(p, "hire_property_company", "选聘物业服务企业", YEAR_DAYS,
                                     company_id=self.companies[p.company])
                    s.owners_committee.register_contract(
                        compound_id=c, resolution_id=hire, starts_on=self.day(YEAR_DAYS - 10),
                        ends_on=self.day(YEAR_DAYS - 10) + timedelta(days=3 * 365), fee_per_m2=Decimal("1.80"))
            if p.fund_use:
                with acting(f"body:owners_committee:{c}", clock=self.at(190)):
                    fund = self.vote(p, "use_maintenance_fund", "动用维修资金维修屋面", 190, amount=Decimal("30000"))
                    s.owners_committee.authorise_fund_use(compound_id=c, resolution_id=fund, purpose="屋面防水")
                    s.owners_committee.disburse_fund(compound_id=c, resolution_id=fund, amount=Decimal("18000"),
                                                     payee="成都防水工程公司", paid_on=self.day(190),
                                                     borne_by=[p.units[0][0]])
        if company:
            with acting(f"body:property:{c}", clock=self.at(YEAR_DAYS - 10)):
                s.property.take_up_service(compound_id=c, company_id=self.companies[p.company],
                                           basis="owners_contract" if committee and p.active else "preliminary",
                                           since=self.day(YEAR_DAYS - 10))
            if p.active:
                self.fees(p)
        if committee and p.active or p.project:
            with acting(f"body:residents:{c}", clock=self.at(YEAR_DAYS - 20)):
                for name in council_of(p):
                    s.residents.seat_council_member(compound_id=c, name=name, role="议事会成员",
                                                    joined_on=self.day(YEAR_DAYS - 20))
        if branch and p.active:
            self.branch_year(p)
        if p.project:
            self.project(p)
        for case in p.cases:
            with acting(f"resident:{c}:{case.unit}", clock=self.at(case.raised_days_ago)):
                case.case_id = s.residents.raise_case(compound_id=c, category=case.category,
                                                      description="居民反映的问题", location=case.location).aggregate_id
                if case.path == "withdrawn":
                    s.residents.withdraw_case(compound_id=c, case_id=case.case_id, reason="已自行解决")

    def vote(self, p: CompoundPlan, matter: str, title: str, final_days_ago: float, **extra) -> UUID:
        """A vote every owner casts, closed the day it opens and final eight days later, ``final_days_ago``."""
        oc, c = self.s.owners_committee, p.compound_id
        with acting(f"body:owners_committee:{c}", clock=self.at(final_days_ago + 8)):
            vote = oc.open_vote(compound_id=c, matter=matter, title=title, description=title,
                                closes_on=self.today, **extra).aggregate_id
            for n, (building, unit, _, _) in enumerate(p.units):
                oc.cast_ballot(compound_id=c, vote_id=vote, building=building, unit=unit,
                               choice="no" if 0 < n == len(p.units) - 1 else "yes", channel="online")
            oc.close_vote(compound_id=c, vote_id=vote)
        with acting(f"body:owners_committee:{c}", clock=self.at(final_days_ago)):
            oc.finalise_vote(compound_id=c, vote_id=vote)
        return vote

    def fees(self, p: CompoundPlan) -> None:
        with acting(f"body:property:{p.compound_id}", clock=self.at(85)):
            for n, (building, unit, area, _) in enumerate(p.units):
                household, amount = f"{building}-{unit}", fee_for(Decimal("1.80"), area, "2026-Q3")
                self.s.property.bill_fee(compound_id=p.compound_id, period="2026-Q3", household=household,
                                         amount=amount)
                if n % 4:
                    self.s.property.record_fee_payment(compound_id=p.compound_id, period="2026-Q3",
                                                       household=household, amount=amount, paid_on=self.day(90))

    def branch_year(self, p: CompoundPlan) -> None:
        b, c, actor = self.s.branch, p.compound_id, f"body:branch:{p.compound_id}"
        with acting(actor, clock=self.at(YEAR_DAYS - 30)):
            members = [b.report_member(compound_id=c, name=name, building=building, kind=kind,
                                       organisation="" if kind == "resident" else "成都市某单位党委",
                                       reported_on=self.day(YEAR_DAYS - 30))[1]
                       for name, building, kind in p.members]
        for days_ago in (300, 150, 40):
            with acting(actor, clock=self.at(days_ago)):
                b.record_activity(compound_id=c, held_on=self.day(days_ago), title="主题党日活动",
                                  participants=members[:2], residents_attending=20)
        if p.suggestion:
            with acting(actor, clock=self.at(60)):
                p.ids["suggestion"] = b.make_suggestion(
                    compound_id=c, addressed_to="property", subject="夜间巡逻", text="建议增加夜间巡逻频次",
                    made_on=self.day(60), answer_by=self.day(45)).aggregate_id
        if p.notice:
            with acting(actor, clock=self.at(30)):
                p.ids["notice"] = b.issue_supervision_notice(
                    compound_id=c, addressed_to="property", matter="消防通道堵塞", requirement="清理消防通道",
                    issued_on=self.day(30), rectify_by=self.day(20)).aggregate_id
        if p.evaluation:
            with acting(actor, clock=self.at(10)):
                evaluation = b.open_evaluation(compound_id=c, evaluated="property", title="年度物业服务评议",
                                               closes_on=self.day(-14)).aggregate_id
                for n, (building, unit, _, _) in enumerate(p.units):
                    b.score_evaluation(compound_id=c, evaluation_id=evaluation, rater_kind="resident",
                                       rater=building + unit, score=3 + n % 3)
                b.publish_evaluation(compound_id=c, evaluation_id=evaluation)

    def project(self, p: CompoundPlan) -> None:
        r, c = self.s.residents, p.compound_id
        with acting(f"body:residents:{c}", clock=self.at(140)):
            project = r.propose_project(compound_id=c, title="楼道照明改造", proposed_by="residents_council",
                                        description="老旧楼道灯具更换").aggregate_id

            def step(name: str, **kwargs) -> None:
                getattr(r, name)(compound_id=c, project_id=project, **kwargs)

            step("hold_project_meeting", held_on=self.day(190), minutes="商议照明改造",
                 attendees=["居民议事会", "党支部"], bodies=["residents_council", "branch"])
            step("draft_project_plan", content="更换楼道灯具", budget=Decimal("12000"), funding="self_raised",
                 contributing_households=40, contribution_per_household=Decimal("300"))
            step("publicise_project", posted_on=self.day(180), days=7)
            step("open_council_vote", subject="plan", opened_on=self.day(170))
            for name in council_of(p):
                step("record_council_member_vote", member=name, vote="yes")
            step("close_council_vote", voted_on=self.day(170))
            step("receive_project_bid", bidder="成都照明工程队", amount=Decimal("11500"))
            step("choose_project_contractor", bid=1, reason="唯一报价，低于预算")
            step("start_project_works", started_on=self.day(160))
            step("complete_project_works", completed_on=self.day(150))
            step("accept_project", accepted_on=self.day(148), note="验收合格")
            step("settle_project", actual=Decimal("11500"), settled_on=self.day(145))

    # -- round 2: the branch takes up the cases it received; the company answers it --------------

    def dispatch(self, p: CompoundPlan) -> None:
        b, c = self.s.branch, p.compound_id
        for case in p.cases:
            clock = self.at(case.raised_days_ago - 0.1)
            with acting(f"body:branch:{c}", clock=clock):
                if case.path in ("property", "refused"):
                    b.dispatch_case(compound_id=c, case_id=case.case_id, taker="property", assignee="物业服务中心")
                    case.order_id = WorkOrder.create_id(case.case_id, 1)
                elif case.path in ("volunteer", "party_member"):
                    taker = "volunteer_team" if case.path == "volunteer" else "party_member"
                    b.dispatch_case(compound_id=c, case_id=case.case_id, taker=taker, assignee="志愿服务队")
                    b.accept_case(compound_id=c, case_id=case.case_id)
                    if case.path == "volunteer":
                        b.resolve_case(compound_id=c, case_id=case.case_id, summary="已处理")
                elif case.path == "mediation":
                    b.dispatch_case(compound_id=c, case_id=case.case_id, taker="mediation_room", assignee="调解室")
                    b.accept_case(compound_id=c, case_id=case.case_id)
                    b.conclude_mediation(compound_id=c, case_id=case.case_id, outcome="agreement", note="双方和解")
        with acting(f"body:property:{c}", clock=self.at(25)):
            if "suggestion" in p.ids:
                self.s.property.answer_suggestion(compound_id=c, suggestion_id=p.ids["suggestion"],
                                                  response="accepted", answered_on=self.day(50))
            if "notice" in p.ids:
                self.s.property.report_rectification(compound_id=c, notice_id=p.ids["notice"],
                                                     report="已清理", reported_on=self.day(25))

    # -- round 3: the company works its orders -----------------------------------------------------

    def work(self, p: CompoundPlan) -> None:
        pr, c = self.s.property, p.compound_id
        for case in p.cases:
            if case.order_id is None:
                continue
            with acting(f"body:property:{c}", clock=self.at(case.raised_days_ago - 0.2)):
                if case.path == "refused":
                    pr.refuse_work_order(compound_id=c, work_order_id=case.order_id, reason="需业主大会决定")
                    continue
                pr.accept_work_order(compound_id=c, work_order_id=case.order_id)
                pr.resolve_work_order(compound_id=c, work_order_id=case.order_id, summary="已维修")

    # -- round 4: residents rate what was resolved; the branch closes what was rectified ---------

    def close(self, p: CompoundPlan) -> None:
        c = p.compound_id
        for case in p.cases:
            if case.path in ("property", "volunteer"):
                with acting(f"resident:{c}:{case.unit}", clock=self.at(case.raised_days_ago - 2)):
                    self.s.residents.rate_case(compound_id=c, case_id=case.case_id, score=case.rating,
                                               comment="满意" if case.rating >= 4 else "一般")
        if "notice" in p.ids:
            with acting(f"body:branch:{c}", clock=self.at(20)):
                self.s.branch.close_supervision_notice(compound_id=c, notice_id=p.ids["notice"], note="复查合格")

    # -- what each round waits for -----------------------------------------------------------------

    def awaited(self, round_: str, p: CompoundPlan) -> list[Callable[[], bool]]:
        """What the reactor must have done for ``p`` before ``round_`` can run."""
        s = self.s
        if round_ == "dispatch":
            return [lambda case=case: s.branch.exists(CaseFile, CaseFile.create_id(case.case_id))
                    for case in p.cases if case.path not in ("withdrawn", "waiting")]
        if round_ == "work":
            return [lambda case=case: s.property.exists(WorkOrder, case.order_id)
                    for case in p.cases if case.order_id is not None]
        if round_ == "close":
            waits = [lambda case=case: s.residents.load(Case, case.case_id, "case").state == "resolved"
                     for case in p.cases if case.path in ("property", "volunteer")]
            if "notice" in p.ids:
                waits.append(lambda: s.branch.load(SupervisionNotice, p.ids["notice"], "notice").state == REPORTED)
            return waits
        return []


ROUNDS: list[tuple[str, Callable[[Recorder, CompoundPlan], None]]] = [
    ("found", Recorder.found), ("dispatch", Recorder.dispatch), ("work", Recorder.work), ("close", Recorder.close),
]
