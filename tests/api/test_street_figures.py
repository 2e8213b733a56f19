"""What a street office measures, checked by hand on a small street whose every time the test sets.

晋阳街道: in 晋阳社区, 北苑 (100 households) and 东苑 (200), both served by 晋阳物业; in 锦城社区,
金雁 (50) served by 金雁物业 and 红运 (50) served by 红运物业. February and March 2026, then an April
case of the problem the street took up for March."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from services.common.context import acting
from services.property.work_order import WorkOrder
from tests.conftest import graphql
from tests.test_deadlines import settle

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # 09:00 in China
FEBRUARY = datetime(2026, 2, 10, 1, 0, tzinfo=timezone.utc)
APRIL = datetime(2026, 4, 8, 1, 0, tzinfo=timezone.utc)
STREET = "晋阳街道"

AREA_FIGURES = """query($level: AreaLevel!, $period: String) {
  areaFigures(period: $period, level: $level, street: "晋阳街道") { totalCount edges { node {
    name compounds households raised withdrawn reopened repeated escalated requestsPer100Households
    response { numerator denominator } resolution { numerator denominator } satisfaction { numerator denominator }
    onTime { numerator denominator } averageRating score previousScore rank classes
    weights { response setByStreet } } } } }"""


class Street:
    def __init__(self, system) -> None:
        self.system, self.s = system, system.services
        self.compounds = {}

    def at(self, moment: datetime, hours: float = 0):
        return lambda: moment + timedelta(hours=hours)

    def found(self) -> None:
        s = self.s
        with acting("admin", clock=self.at(datetime(2025, 12, 1, tzinfo=timezone.utc))):
            for name, community, households in (("北苑小区", "晋阳社区", 100), ("东苑小区", "晋阳社区", 200),
                                                ("金雁花园", "锦城社区", 50), ("红运花园", "锦城社区", 50)):
                self.compounds[name] = s.residents.register_compound(
                    name=name, district="武侯区", street=STREET, community=community, households=households,
                    residents=households * 3).aggregate_id
            for name in ("北苑小区", "红运花园"):
                s.branch.establish_branch(compound_id=self.compounds[name], name=f"{name}党支部", mode="single")
            for unit in ("101", "102"):
                s.owners_committee.register_exclusive_unit(compound_id=self.compounds["北苑小区"], building="1栋",
                                                           unit=unit, exclusive_area=Decimal("100"), owner="业主")
            self.companies = {name: s.property.register_company(name=name, credit_code=code).aggregate_id
                              for name, code in (("晋阳物业", "91510107MA6CY8QK2D"), ("金雁物业", "91510107MA6CY8QK4F"),
                                                 ("红运物业", "91510107MA6CY8QK3E"))}
        for compound, company in (("北苑小区", "晋阳物业"), ("东苑小区", "晋阳物业"), ("金雁花园", "金雁物业"),
                                  ("红运花园", "红运物业")):
            with acting(f"body:property:{self.compounds[compound]}",
                        clock=self.at(datetime(2026, 1, 1, 2, tzinfo=timezone.utc))):
                s.property.take_up_service(compound_id=self.compounds[compound], company_id=self.companies[company],
                                           basis="interim", since=date(2026, 1, 1), fee_per_m2=Decimal("1.00"))

    def raise_(self, compound: str, moment: datetime, category: str, location: str, urgency: str = "routine"):
        c = self.compounds[compound]
        with acting(f"resident:{c}:101", clock=self.at(moment)):
            return self.s.residents.raise_case(compound_id=c, category=category, description="问题",
                                               location=location, urgency=urgency).aggregate_id

    def branch(self, compound: str, moment: datetime, hours: float, step: str, case, **kwargs) -> None:
        c = self.compounds[compound]
        with acting(f"body:branch:{c}", clock=self.at(moment, hours)):
            getattr(self.s.branch, step)(compound_id=c, case_id=case, **kwargs)

    def property(self, compound: str, moment: datetime, hours: float, step: str, case, dispatch: int = 1,
                 **kwargs) -> None:
        c = self.compounds[compound]
        with acting(f"body:property:{c}", clock=self.at(moment, hours)):
            getattr(self.s.property, step)(compound_id=c, work_order_id=WorkOrder.create_id(case, dispatch), **kwargs)

    def rate(self, compound: str, moment: datetime, hours: float, case, score: int) -> None:
        c = self.compounds[compound]
        with acting(f"resident:{c}:101", clock=self.at(moment, hours)):
            self.s.residents.rate_case(compound_id=c, case_id=case, score=score)


@pytest.fixture
def street(system):
    st, sync = Street(system), lambda: settle(system)
    st.found()
    # February, 北苑: answered 30 h after (late for its 24 h), resolved, rated 3.
    x0 = st.raise_("北苑小区", FEBRUARY, "environment_and_sanitation", "1栋楼道")
    sync()
    st.branch("北苑小区", FEBRUARY, 30, "dispatch_case", x0, taker="volunteer_team", assignee="志愿队")
    st.branch("北苑小区", FEBRUARY, 30, "accept_case", x0)
    st.branch("北苑小区", FEBRUARY, 31, "resolve_case", x0, summary="已清理")
    sync()
    st.rate("北苑小区", FEBRUARY, 40, x0, 3)
    # March.
    x1 = st.raise_("北苑小区", T0, "repairs", "3栋电梯")
    x2 = st.raise_("北苑小区", T0 + timedelta(days=5), "repairs", "3号楼 电梯")  # a repeat of x1
    st.raise_("北苑小区", T0, "safety", "车棚", urgency="emergency")  # never answered
    x4 = st.raise_("北苑小区", T0, "other", "中心广场")
    y1 = st.raise_("东苑小区", T0, "property_dispute", "车棚")
    y2 = st.raise_("东苑小区", T0, "repairs", "2栋电梯")
    z1 = st.raise_("金雁花园", T0, "repairs", "电梯")
    st.raise_("红运花园", T0, "property_dispute", "物业服务中心")  # never answered
    sync()
    with acting(f"resident:{st.compounds['北苑小区']}:101", clock=st.at(T0, 2)):
        st.s.residents.withdraw_case(compound_id=st.compounds["北苑小区"], case_id=x4, reason="已解决")
    st.branch("北苑小区", T0, 1, "dispatch_case", x1, taker="property", assignee="晋阳物业")
    later = T0 + timedelta(days=5)
    st.branch("北苑小区", later, 30, "dispatch_case", x2, taker="volunteer_team", assignee="志愿队")
    st.branch("北苑小区", later, 30, "accept_case", x2)
    st.branch("北苑小区", later, 31, "resolve_case", x2, summary="已修")
    st.branch("东苑小区", T0, 1, "dispatch_case", y1, taker="mediation_room", assignee="调解室")
    st.branch("东苑小区", T0, 1, "accept_case", y1)
    st.branch("东苑小区", T0, 10, "conclude_mediation", y1, outcome="agreement", note="和解")
    st.branch("东苑小区", T0, 1, "dispatch_case", y2, taker="property", assignee="晋阳物业")
    st.branch("金雁花园", T0, 1, "dispatch_case", z1, taker="property", assignee="金雁物业")
    sync()
    st.property("北苑小区", T0, 2, "accept_work_order", x1)
    st.property("北苑小区", T0, 10, "resolve_work_order", x1, summary="已修")
    st.property("东苑小区", T0, 2, "accept_work_order", y2)
    st.property("东苑小区", T0, 100, "resolve_work_order", y2, summary="已修")  # past its 72 h
    st.property("金雁花园", T0, 2, "refuse_work_order", z1, reason="需业主大会决定")
    sync()
    st.rate("北苑小区", T0, 20, x1, 2)  # reopens it
    st.rate("北苑小区", later, 40, x2, 4)
    st.rate("东苑小区", T0, 20, y1, 3)
    st.rate("东苑小区", T0, 110, y2, 4)
    sync()
    st.branch("北苑小区", T0, 21, "dispatch_case", x1, taker="property", assignee="晋阳物业")
    sync()
    st.property("北苑小区", T0, 22, "accept_work_order", x1, dispatch=2)
    st.property("北苑小区", T0, 30, "resolve_work_order", x1, dispatch=2, summary="重新修好")
    sync()
    st.rate("北苑小区", T0, 40, x1, 5)
    # What the company is graded on besides: 北苑's evaluation and notice, its fees; 红运's notice.
    beiyuan, hongyun = st.compounds["北苑小区"], st.compounds["红运花园"]
    with acting(f"body:branch:{beiyuan}", clock=st.at(T0, 100)):
        evaluation = st.s.branch.open_evaluation(compound_id=beiyuan, evaluated="property", title="评议",
                                                 closes_on=date(2026, 3, 31)).aggregate_id
        for rater, score in (("1栋101", 4), ("1栋102", 5)):
            st.s.branch.score_evaluation(compound_id=beiyuan, evaluation_id=evaluation, rater_kind="resident",
                                         rater=rater, score=score)
        notice = st.s.branch.issue_supervision_notice(
            compound_id=beiyuan, addressed_to="property", matter="消防通道", requirement="清理",
            issued_on=date(2026, 3, 5), rectify_by=date(2026, 3, 10)).aggregate_id
    with acting(f"body:branch:{hongyun}", clock=st.at(T0, 100)):
        st.s.branch.issue_supervision_notice(compound_id=hongyun, addressed_to="property", matter="电梯年检",
                                             requirement="年检", issued_on=date(2026, 3, 5),
                                             rectify_by=date(2026, 3, 10))
    with acting(f"body:property:{beiyuan}", clock=st.at(T0, 150)):
        st.s.property.report_rectification(compound_id=beiyuan, notice_id=notice, report="已清理",
                                           reported_on=date(2026, 3, 8))
        for unit in ("101", "102"):
            st.s.property.bill_fee(compound_id=beiyuan, period="2026-03", household=f"1栋-{unit}",
                                   amount=Decimal("100.00"))
        st.s.property.record_fee_payment(compound_id=beiyuan, period="2026-03", household="1栋-101",
                                         amount=Decimal("100.00"), paid_on=date(2026, 3, 8))
    # April: one more lift case in 北苑.
    st.raise_("北苑小区", APRIL, "repairs", "5栋电梯")
    sync()
    st.cases = {"x1": x1, "x2": x2}
    return st


def nodes(response) -> list[dict]:
    assert "errors" not in response, response
    return [edge["node"] for edge in next(iter(response["data"].values()))["edges"]]


def test_the_street_figures_count_what_the_events_say(system, street):
    url = system.start_api()
    office = system.token(f"office:street:{STREET}")
    compounds = {n["name"]: n for n in nodes(graphql(url, office, AREA_FIGURES,
                                                     {"level": "COMPOUND", "period": "2026-03"}).json())}
    beiyuan = compounds["北苑小区"]
    # Raised 4 (one withdrawn before any answer); the lift case of 3栋 five days later repeats the first.
    assert {k: beiyuan[k] for k in ("compounds", "households", "raised", "withdrawn", "reopened", "repeated",
                                    "escalated", "requestsPer100Households")} == {
        "compounds": 1, "households": 100, "raised": 4, "withdrawn": 1, "reopened": 1, "repeated": 1,
        "escalated": 0, "requestsPer100Households": 4.0}
    # Answered in time: the first lift case (1 h of 24); not the repeat (30 h), nor the emergency
    # (never, due in 2 h); the withdrawn one was not due.
    assert beiyuan["response"] == {"numerator": 1, "denominator": 3}
    # Every rating counts, the 2 that reopened the first lift case too: 2, 5, 4.
    assert beiyuan["resolution"] == {"numerator": 2, "denominator": 3}
    assert beiyuan["satisfaction"] == {"numerator": 2, "denominator": 3}
    assert beiyuan["averageRating"] == pytest.approx(3.67)
    assert beiyuan["onTime"] == {"numerator": 2, "denominator": 2}
    assert beiyuan["score"] == pytest.approx(100 * (1 / 3 + 2 / 3 + 2 / 3) / 3, abs=0.01)  # 55.56
    assert beiyuan["previousScore"] == pytest.approx(100 * (0 + 1 + 0) / 3, abs=0.01)  # February: 33.33
    dongyuan, jinyan, hongyun = compounds["东苑小区"], compounds["金雁花园"], compounds["红运花园"]
    assert (dongyuan["response"], dongyuan["resolution"], dongyuan["satisfaction"], dongyuan["onTime"]) == (
        {"numerator": 2, "denominator": 2}, {"numerator": 2, "denominator": 2}, {"numerator": 1, "denominator": 2},
        {"numerator": 1, "denominator": 2})
    assert dongyuan["score"] == pytest.approx(83.33, abs=0.01)
    # 金雁: answered, never rated: its score is its response alone.
    assert (jinyan["response"], jinyan["resolution"]["denominator"], jinyan["score"]) == (
        {"numerator": 1, "denominator": 1}, 0, 100.0)
    assert (hongyun["response"], hongyun["score"]) == ({"numerator": 0, "denominator": 1}, 0.0)
    # Ranked by score; 先进 the top fifth (1 of 4), 整改 the bottom; 北苑 rose most since February;
    # 北苑 has the most requests per 100 households (4 to 2, 2 and 1): 治理.
    assert [(n, compounds[n]["rank"], compounds[n]["classes"]) for n in ("金雁花园", "东苑小区", "北苑小区", "红运花园")] == [
        ("金雁花园", 1, ["先进"]), ("东苑小区", 2, []), ("北苑小区", 3, ["进步", "治理"]), ("红运花园", 4, ["整改"])]

    communities = {n["name"]: n for n in nodes(graphql(url, office, AREA_FIGURES,
                                                       {"level": "COMMUNITY", "period": "2026-03"}).json())}
    jinyang = communities["晋阳社区"]
    assert (jinyang["compounds"], jinyang["households"], jinyang["raised"]) == (2, 300, 6)
    assert (jinyang["response"], jinyang["resolution"], jinyang["satisfaction"]) == (
        {"numerator": 3, "denominator": 5}, {"numerator": 4, "denominator": 5}, {"numerator": 3, "denominator": 5})
    assert jinyang["score"] == pytest.approx(100 * (0.6 + 0.8 + 0.6) / 3, abs=0.01)
    assert communities["锦城社区"]["response"] == {"numerator": 1, "denominator": 2}
    (whole,) = nodes(graphql(url, office, AREA_FIGURES, {"level": "STREET", "period": "2026-03"}).json())
    assert (whole["name"], whole["compounds"], whole["raised"], whole["response"]) == (
        STREET, 4, 8, {"numerator": 4, "denominator": 7})
    assert whole["score"] == pytest.approx(100 * (4 / 7 + 4 / 5 + 3 / 5) / 3, abs=0.01)

    # The events behind a figure: each with whether it counts.
    evidence = """query($figure: String!) { areaFigures(period: "2026-03", street: "晋阳街道", first: 1) {
      edges { node { name evidence(figure: $figure) { totalCount edges { node { step counts caseId } } } } } } }"""
    top = graphql(url, office, evidence, {"figure": "response"}).json()["data"]["areaFigures"]["edges"][0]["node"]
    assert top["name"] == "金雁花园"
    assert [(e["node"]["step"], e["node"]["counts"]) for e in top["evidence"]["edges"]] == [("CaseDispatched", True)]
    refused = graphql(url, office, evidence, {"figure": "x' OR 1=1"}).json()
    assert refused["errors"][0]["extensions"]["code"] == "INVALID_INPUT"

    # The street weighs response double from March: 北苑 (2/3 + 2/3 + 2 × 1/3) / 4 = 50.
    recorded = graphql(url, office, """mutation { setFigureWeights(input: {street: "晋阳街道", response: "2",
      resolution: "1", satisfaction: "1", since: "2026-03"}) { __typename } }""").json()
    assert recorded["data"]["setFigureWeights"]["__typename"] == "Recorded"
    other = graphql(url, system.token("office:street:玉林街道"), """mutation { setFigureWeights(input: {
      street: "晋阳街道", response: "1", resolution: "1", satisfaction: "1", since: "2026-03"}) { __typename } }""")
    assert other.json()["data"]["setFigureWeights"]["__typename"] == "NotAllowed"
    settle(system)
    weighted = {n["name"]: n for n in nodes(graphql(url, office, AREA_FIGURES,
                                                    {"level": "COMPOUND", "period": "2026-03"}).json())}
    assert weighted["北苑小区"]["score"] == pytest.approx(50.0)
    assert weighted["北苑小区"]["weights"] == {"response": "2.00", "setByStreet": True}
    assert weighted["北苑小区"]["previousScore"] == pytest.approx(33.33, abs=0.01)  # February kept the default

    # Hostile arguments are refused as such, never a fault.
    for arguments in ('period: "2026-13"', 'period: "9999"', 'first: 101', 'after: "forged"', 'street: "\\u0000"',
                      'period: "2026-03", after: "%s"' % top_cursor(url, office)):
        answer = graphql(url, office, "{ areaFigures(%s) { totalCount } }" % arguments).json()
        assert answer["errors"][0]["extensions"]["code"] in ("INVALID_INPUT", "BAD_TEXT"), (arguments, answer)

    # An auditor of another street reaches none of it.
    assert nodes(graphql(url, system.token("auditor:street:玉林街道"), AREA_FIGURES,
                         {"level": "COMPOUND", "period": "2026-03"}).json()) == []


def test_problems_worth_a_month_and_how_the_chosen_one_went(system, street):
    url = system.start_api()
    office = system.token(f"office:street:{STREET}")
    candidates = """query($least: Int!) { problemCandidates(period: "2026-03", street: "晋阳街道", compounds: $least) {
      edges { node { rank category area cases compounds repeated { numerator denominator }
                     dissatisfaction { numerator denominator } caseList { totalCount edges { node { compoundName building } } } } } } }"""
    (lifts,) = nodes(graphql(url, office, candidates, {"least": 2}).json())
    # Lifts, in three compounds: 3栋 twice in 北苑 (one a repeat), 2栋 in 东苑, and 金雁's.
    assert {k: lifts[k] for k in ("rank", "category", "area", "cases", "compounds", "repeated",
                                  "dissatisfaction")} == {
        "rank": 1, "category": "repairs", "area": "电梯", "cases": 4, "compounds": 3,
        "repeated": {"numerator": 1, "denominator": 4}, "dissatisfaction": {"numerator": 1, "denominator": 4}}
    assert sorted((e["node"]["compoundName"], e["node"]["building"]) for e in lifts["caseList"]["edges"]) == [
        ("东苑小区", "2栋"), ("北苑小区", "3栋"), ("北苑小区", "3栋"), ("金雁花园", "")]
    every = nodes(graphql(url, office, candidates, {"least": 1}).json())
    assert [(n["category"], n["area"]) for n in every] == [
        ("repairs", "电梯"), ("property_dispute", "车棚"), ("other", "中心广场"), ("property_dispute", "物业服务中心"),
        ("safety", "车棚")]

    choose = """mutation($period: String!) { chooseMonthlyProblem(input: {street: "晋阳街道", period: $period,
      category: "repairs", area: "电梯", title: "老旧电梯频繁故障", decision: "街道协调维修资金，物业每周巡检"}) {
      __typename ... on RuleViolated { message } ... on InvalidInput { field } } }"""
    assert graphql(url, office, choose, {"period": "2026-03"}).json()["data"]["chooseMonthlyProblem"][
        "__typename"] == "Recorded"
    assert graphql(url, office, choose, {"period": "2026-03"}).json()["data"]["chooseMonthlyProblem"][
        "__typename"] == "RuleViolated"
    assert graphql(url, office, choose, {"period": "2026-Q2"}).json()["data"]["chooseMonthlyProblem"] == {
        "__typename": "InvalidInput", "field": "period"}
    auditor = system.token(f"auditor:street:{STREET}")
    assert graphql(url, auditor, choose, {"period": "2026-04"}).json()["data"]["chooseMonthlyProblem"][
        "__typename"] == "NotAllowed"
    settle(system)
    (chosen,) = graphql(url, auditor, """{ monthlyProblems(street: "晋阳街道") { period category area title decision
      followUp { period cases compounds } } }""").json()["data"]["monthlyProblems"]
    assert (chosen["period"], chosen["area"], chosen["title"]) == ("2026-03", "电梯", "老旧电梯频繁故障")
    assert chosen["followUp"][:3] == [{"period": "2026-03", "cases": 4, "compounds": 3},
                                      {"period": "2026-04", "cases": 1, "compounds": 1},
                                      {"period": "2026-05", "cases": 0, "compounds": 0}]
    assert graphql(url, system.token("auditor:street:玉林街道"), """{ monthlyProblems(street: "晋阳街道") {
      period } }""").json()["data"]["monthlyProblems"] == []


GRADES = """query($period: String) { companyGrades(period: $period, street: "晋阳街道") { edges { node {
  companyName score grade listed rank households
  compounds { compoundName households score indicators { name numerator denominator } } } } } }"""


def test_companies_are_graded_on_the_compounds_they_serve_weighted_by_households(system, street):
    url = system.start_api()
    office = system.token(f"office:street:{STREET}")
    grades = {n["companyName"]: n for n in nodes(graphql(url, office, GRADES, {"period": "2026-H1"}).json())}
    jinyang = grades["晋阳物业"]
    served = {c["compoundName"]: c for c in jinyang["compounds"]}
    beiyuan = {i["name"]: (i["numerator"], i["denominator"]) for i in served["北苑小区"]["indicators"]}
    assert beiyuan == {"response": ("1", "1"), "resolution": ("1", "2"), "satisfaction": ("1", "2"),
                       "on_time": ("1", "1"), "evaluation": ("9", "10"), "notices": ("1", "1"),
                       "fees": ("100.00", "200.00"), "complaints": ("100.00", "100")}
    # 15 + 7.5 + 7.5 + 10 + 13.5 + 10 + 5 + 10
    assert served["北苑小区"]["score"] == pytest.approx(78.5)
    # 东苑: its one work order late; a property dispute per 200 households costs 5 points of 100;
    # no evaluation, notice or fee: left out. (15 + 15 + 15 + 0 + 9.5) / 65
    dongyuan = {i["name"]: (i["numerator"], i["denominator"]) for i in served["东苑小区"]["indicators"]}
    assert dongyuan["on_time"] == ("0", "1") and dongyuan["complaints"] == ("95.00", "100")
    assert served["东苑小区"]["score"] == pytest.approx(54.5 / 65 * 100, abs=0.01)
    # Weighted by households, 100 and 200.
    assert jinyang["score"] == pytest.approx((78.5 * 100 + 54.5 / 65 * 100 * 200) / 300, abs=0.01)
    assert (jinyang["grade"], jinyang["listed"], jinyang["households"]) == ("B", None, 300)
    assert (grades["金雁物业"]["score"], grades["金雁物业"]["grade"], grades["金雁物业"]["listed"]) == (100.0, "A", "red")
    # 红运物业: a notice never rectified, and a property dispute per 50 households: (0 + 8) / 20.
    hongyun = grades["红运物业"]
    assert (hongyun["score"], hongyun["grade"], hongyun["listed"], hongyun["rank"]) == (40.0, "D", "black", 3)

    lists = graphql(url, office, """{ redBlackList(period: "2026-H1", street: "晋阳街道") {
      red { companyName } black { companyName } } }""").json()["data"]["redBlackList"]
    assert lists == {"red": [{"companyName": "金雁物业"}], "black": [{"companyName": "红运物业"}]}

    # The company reads its own grade, over the compounds it serves; serving only 北苑, 78.5.
    own = """query($c: UUID!) { companyGrade(companyId: $c, period: "2026-H1") { score compounds { compoundName
      evidence(indicator: "fees") { edges { node { kind what counts } } } } } }"""
    both = ",".join(str(street.compounds[n]) for n in ("北苑小区", "东苑小区"))
    company = str(street.companies["晋阳物业"])
    read = graphql(url, system.token(f"body:property:{both}"), own, {"c": company}).json()["data"]["companyGrade"]
    assert read["score"] == pytest.approx(jinyang["score"])
    fees = next(c for c in read["compounds"] if c["compoundName"] == "北苑小区")["evidence"]["edges"]
    assert sorted((e["node"]["kind"], e["node"]["what"], e["node"]["counts"]) for e in fees) == [
        ("fee_bill", "2026-03", False), ("fee_bill", "2026-03", True)]
    alone = graphql(url, system.token(f"body:property:{street.compounds['北苑小区']}"), own, {"c": company}).json()
    assert alone["data"]["companyGrade"]["score"] == pytest.approx(78.5)
    assert graphql(url, system.token("auditor:street:玉林街道"), own, {"c": company}).json()["data"][
        "companyGrade"] is None


def top_cursor(url: str, token: str) -> str:
    """A cursor the API gave out, but for another list (the problem candidates)."""
    answer = graphql(url, token, '{ problemCandidates(period: "2026-03", compounds: 1, first: 1) { pageInfo {'
                     ' endCursor } } }').json()
    return answer["data"]["problemCandidates"]["pageInfo"]["endCursor"]
