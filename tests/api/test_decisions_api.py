"""Decisions and money end to end through GraphQL, on the real servers: the Beiyuan back-gate
project from meetings to settlement with its council voting member by member, an owners' vote that
hires the property company (ballots delivered, a preliminary count, an objection upheld, then final)
and the contract resting on it, a dismissal refused without a resolution, receipts, a disbursement
shared by area, and fees billed under the contract."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

import pytest

from services.common.context import acting, china_date, utc_now
from tests.conftest import BEIYUAN, graphql, wait_until

TODAY = china_date(utc_now())


def day(n: int) -> str:
    return (TODAY - timedelta(days=n)).isoformat()


def mutation(name: str, fields: str, answer: str = "") -> str:
    return (f"mutation($input: {fields}!) {{ {name}(input: $input) {{ __typename ... on Problem {{ message }}"
            f" {answer} }} }}")


def do(url, token, name, input_type, /, **input_):
    success = "... on BallotRecorded { receipt }" if name == "castBallot" else "... on Recorded { aggregateId }"
    answer = graphql(url, token, mutation(name, input_type, success), {"input": input_}).json()
    assert "errors" not in answer, answer
    return answer["data"][name]


def recorded(url, token, name, input_type, /, **input_):
    result = do(url, token, name, input_type, **input_)
    assert result["__typename"] in ("Recorded", "BallotRecorded"), result
    return result


@pytest.fixture
def scene(system):
    system.settings = replace(system.settings, rate_limit=10_000.0)
    system.start_relay()
    system.start_projector()
    url = system.start_api()
    with acting("admin"):
        compound = system.services.residents.register_compound(**BEIYUAN).aggregate_id
        company = system.services.property.register_company(
            name="晋阳物业", credit_code="91510107MA6CY8QK2D").aggregate_id
    tokens = {who: system.token(spec) for who, spec in {
        "council": f"body:residents:{compound}", "committee": f"body:owners_committee:{compound}",
        "property": f"body:property:{compound}", "branch": f"body:branch:{compound}",
        "resident": f"resident:{compound}:1栋101", "auditor": "auditor:street:晋阳街道"}.items()}
    return url, str(compound), str(company), tokens


PROJECT = """query($a: UUID!, $p: UUID!) { project(compoundId: $a, id: $p) { state budget funding
  contributingHouseholds councilMembers councilYes contractor contractAmount actual savings noticeEndsOn
  councilVotes { number seats yes no abstain absent passed members { member vote } }
  timeline(first: 100) { totalCount edges { node { step onDate detail } } } } }"""
MEMBERS = [f"{surname}{given}" for surname in "王李张刘陈杨赵黄周吴徐孙胡" for given in ("建华", "秀英", "志强")][:37]


def test_the_beiyuan_back_gate_project_through_graphql(scene):
    url, a, _, t = scene
    council = t["council"]
    project = recorded(url, council, "proposeProject", "ProposeProjectInput", compoundId=a, title="北苑后门改造",
                       description="后门年久失修，居民出行不便", proposedBy="residents_council")["aggregateId"]

    def step(name, input_type, **fields):
        return do(url, council, name, input_type, compoundId=a, projectId=project, **fields)

    for held_on, minutes in ((day(60), "居民议事会首次商议后门改造"), (day(55), "社区、施工方到场确定方案")):
        assert step("holdProjectMeeting", "ProjectMeetingInput", heldOn=held_on, minutes=minutes,
                    attendees=["社区王主任", "议事会李会长", "施工方张师傅"],
                    bodies=["community", "residents_council", "contractor"])["__typename"] == "Recorded"
    for member in MEMBERS:
        recorded(url, council, "seatCouncilMember", "SeatCouncilMemberInput", compoundId=a, name=member,
                 role="议事会成员", joinedOn=day(70))

    def council_vote(voted_on, yes, no, abstain):
        """Each of the 37 seated members' votes, by name: the first ``yes`` yes, and so on, the rest absent."""
        assert step("openCouncilVote", "OpenCouncilVoteInput", subject="plan",
                    openedOn=voted_on)["__typename"] == "Recorded"
        votes = ["yes"] * yes + ["no"] * no + ["abstain"] * abstain
        for member, vote in zip(MEMBERS, votes + ["absent"] * (37 - len(votes)), strict=True):
            assert step("recordCouncilMemberVote", "CouncilMemberVoteInput", member=member,
                        vote=vote)["__typename"] == "Recorded"
        return step("closeCouncilVote", "CloseCouncilVoteInput", votedOn=voted_on)

    plan = {"content": "更换后门、加装门禁", "budget": "36000", "funding": "self_raised",
            "contributingHouseholds": 28, "contributionPerHousehold": "1285.71"}
    assert step("draftProjectPlan", "ProjectPlanInput", **plan)["__typename"] == "Recorded"
    early = step("openCouncilVote", "OpenCouncilVoteInput", subject="plan", openedOn=day(50))
    assert early["__typename"] == "RuleViolated" and "only when it is publicised" in early["message"]
    step("publiciseProject", "PubliciseProjectInput", postedOn=day(50), days=7)
    too_soon = step("openCouncilVote", "OpenCouncilVoteInput", subject="plan", openedOn=day(45))
    assert "no vote before it ends" in too_soon["message"]
    no_bids_yet = step("receiveProjectBid", "ProjectBidInput", bidder="锦江建筑", amount="36000")
    assert "no contract before approval" in no_bids_yet["message"]
    step("openCouncilVote", "OpenCouncilVoteInput", subject="plan", openedOn=day(43))
    late = do(url, council, "seatCouncilMember", "SeatCouncilMemberInput", compoundId=a, name="新成员",
              role="议事会成员", joinedOn=day(43))
    assert late["__typename"] == "Recorded"
    unseated = step("recordCouncilMemberVote", "CouncilMemberVoteInput", member="新成员", vote="yes")
    assert "did not sit on the council when the vote opened" in unseated["message"]
    missing = step("closeCouncilVote", "CloseCouncilVoteInput", votedOn=day(43))
    assert "37 of the 37 seated members have no vote recorded" in missing["message"]
    votes = ["yes"] * 24 + ["no"] * 10 + ["abstain"] * 3
    for member, vote in zip(MEMBERS, votes, strict=True):
        step("recordCouncilMemberVote", "CouncilMemberVoteInput", member=member, vote=vote)
    assert step("closeCouncilVote", "CloseCouncilVoteInput",
                votedOn=day(42))["__typename"] == "Recorded"  # 24 of 37: rejected
    recorded(url, council, "unseatCouncilMember", "UnseatCouncilMemberInput", compoundId=a, name="新成员",
             leftOn=day(42), reason="辞任")
    step("draftProjectPlan", "ProjectPlanInput", **plan)  # revised after the council's questions
    step("publiciseProject", "PubliciseProjectInput", postedOn=day(40), days=7)
    assert step("lodgeProjectObjection", "ProjectObjectionInput", lodgedOn=day(38),
                objection="门禁卡费用谁承担？")["__typename"] == "Recorded"
    step("answerProjectObjection", "ProjectObjectionAnswerInput", number=1, answer="由28户自筹款支付")
    council_vote(day(32), yes=25, no=9, abstain=3)  # 25 of the 37 seated at opening (not 38): approved
    step("receiveProjectBid", "ProjectBidInput", bidder="锦江建筑", amount="36000")
    step("receiveProjectBid", "ProjectBidInput", bidder="晋阳施工队", amount="34500", note="质保两年")
    step("chooseProjectContractor", "ChooseContractorInput", bid=2, reason="比选：报价低1500元，质保更长")
    step("startProjectWorks", "ProjectWorksStartedInput", startedOn=day(25))
    for n, finding in ((20, "门框材料与方案一致"), (12, "门禁安装到位")):
        step("recordProjectInspection", "ProjectInspectionInput", inspectedOn=day(n), inspector="义务监督队",
             finding=finding)
    step("completeProjectWorks", "ProjectWorksCompletedInput", completedOn=day(10))
    over = step("settleProject", "SettleProjectInput", actual="34500", settledOn=day(5))
    assert "only when it is accepted" in over["message"]
    step("acceptProject", "AcceptProjectInput", acceptedOn=day(8), note="议事会验收合格")
    above = step("settleProject", "SettleProjectInput", actual="36500", settledOn=day(5))
    assert "budget amendment" in above["message"]
    assert step("settleProject", "SettleProjectInput", actual="34500", settledOn=day(5))["__typename"] == "Recorded"

    def seen():
        return graphql(url, t["auditor"], PROJECT, {"a": a, "p": project}).json()["data"]["project"]

    wait_until(lambda: (seen() or {}).get("state") == "settled", "the project to be settled")
    ledger = seen()
    assert (Decimal(ledger["budget"]), Decimal(ledger["actual"]), Decimal(ledger["savings"])) == (
        Decimal("36000"), Decimal("34500"), Decimal("1500"))
    assert (ledger["contractor"], Decimal(ledger["contractAmount"])) == ("晋阳施工队", Decimal("34500"))
    assert (ledger["councilMembers"], ledger["councilYes"]) == (37, 25)
    steps = [e["node"]["step"] for e in ledger["timeline"]["edges"]]
    assert steps.count("ProjectCouncilVoted") == 2 and steps.count("ProjectInspected") == 2
    assert steps[0] == "ProjectProposed" and steps[-1] == "ProjectSettled"
    votes = [e["node"]["detail"] for e in ledger["timeline"]["edges"] if e["node"]["step"] == "ProjectCouncilVoted"]
    assert votes[0].startswith("24 of 37 members yes") and votes[0].endswith("failed (2/3 of all members needed)")
    assert votes[1].startswith("25 of 37 members yes") and "passed" in votes[1]
    first, second = ledger["councilVotes"]
    assert [(v["seats"], v["yes"], v["no"], v["abstain"], v["absent"], v["passed"]) for v in (first, second)] == [
        (37, 24, 10, 3, 0, False), (37, 25, 9, 3, 0, True)]
    assert [(m["member"], m["vote"]) for m in second["members"][23:26]] == [
        (MEMBERS[23], "yes"), (MEMBERS[24], "yes"), (MEMBERS[25], "no")]
    # Who voted how is the council's (and its branch's, and auditors'): masked for a resident.
    public = graphql(url, t["resident"], PROJECT, {"a": a, "p": project}).json()["data"]["project"]
    assert {m["member"] for m in public["councilVotes"][1]["members"]} == {"***"}
    # The branch reads the ledger; it does not write the council's steps.
    refused = do(url, t["branch"], "withdrawProject", "WithdrawProjectInput", compoundId=a, projectId=project,
                 reason="x")
    assert refused["__typename"] == "NotAllowed"


VOTE = """query($a: UUID!, $v: UUID!) { assemblyVote(compoundId: $a, id: $v) { stage majority totalOwners
  totalArea votedOwners votedArea yesOwners yesArea valid passed reason countOccasion corrections unreachedOwners
  objectionsEnd objections { number owner objection upheld answer }
  timeline(first: 100) { edges { node { step detail } } }
  voteTable { edges { node { owner units area choice how deliveredBy deliveredOn deliveredTo } } } } }"""
CONTRACTS = """query($a: UUID!) { serviceContracts(compoundId: $a) { companyName resolutionId active feePerM2
  terminatedOn } }"""
MONEY = """query($a: UUID!) { maintenanceFund(compoundId: $a) { authorised disbursed remaining
  uses { disbursements { amount borneBy byBuilding { building units area share }
                         shares { building unit owner area share } } } }
  feeCollection(compoundId: $a) { period householdsBilled householdsPaid billed paid collectionRate } }"""


def test_a_hiring_vote_a_contract_on_it_and_a_dismissal_refused_without_one(scene, system):
    url, a, company, t = scene
    committee = t["committee"]
    units = [("1栋", "101", "90", "张三"), ("1栋", "102", "60", "张三"), ("1栋", "201", "80", "李四"),
             ("2栋", "101", "100", "王五"), ("2栋", "102", "70", "赵六"), ("3栋", "101", "100", "成都置业")]
    for building, unit, area, owner in units:
        recorded(url, committee, "registerExclusiveUnit", "RegisterExclusiveUnitInput", compoundId=a,
                 building=building, unit=unit, exclusiveArea=area, owner=owner)

    def open_vote(**fields):
        vote = recorded(url, committee, "openVote", "OpenVoteInput", compoundId=a, closesOn=TODAY.isoformat(),
                        **fields)["aggregateId"]
        for building, unit, _, owner in units[:5]:  # the developer's ballot is not delivered
            recorded(url, committee, "deliverBallot", "DeliverBallotInput", compoundId=a, voteId=vote,
                     building=building, unit=unit, method="in_person", deliveredOn=TODAY.isoformat(), recipient=owner)
        return vote

    def final(vote):
        """The objection period is over (11 days from now, in the committee's own records), the count final."""
        later = datetime.now(timezone.utc) + timedelta(days=11)
        with acting(f"body:owners_committee:{a}", clock=lambda: later):
            system.services.owners_committee.finalise_vote(compound_id=UUID(a), vote_id=UUID(vote))

    hire = open_vote(matter="hire_property_company", title="选聘晋阳物业", description="三年，1.80元/㎡·月",
                     companyId=company)
    receipts = {}
    for (building, unit), choice in ((("1栋", "101"), "yes"), (("1栋", "201"), "yes"), (("2栋", "101"), "no"),
                                     (("2栋", "102"), "no")):
        receipts[unit + building] = recorded(url, committee, "castBallot", "CastBallotInput", compoundId=a, voteId=hire,
                                             building=building, unit=unit, choice=choice, channel="paper")["receipt"]
    twice = do(url, committee, "castBallot", "CastBallotInput", compoundId=a, voteId=hire, building="1栋",
               unit="102", choice="no", channel="online")
    assert twice["__typename"] == "RuleViolated" and "one ballot per owner" in twice["message"]
    unreached = do(url, committee, "closeVote", "CloseVoteInput", compoundId=a, voteId=hire)
    assert "1 owners were not reached" in unreached["message"]  # the developer: no delivery, no ballot

    def vote():
        return graphql(url, t["auditor"], VOTE, {"a": a, "v": hire}).json()["data"]["assemblyVote"]

    wait_until(lambda: len([e for e in (vote() or {"voteTable": {"edges": []}})["voteTable"]["edges"]
                            if e["node"]["choice"]]) == 4, "the ballots to be projected")
    gap = {e["node"]["owner"]: e["node"] for e in vote()["voteTable"]["edges"]}
    assert (gap["成都置业"]["deliveredBy"], gap["成都置业"]["choice"], vote()["unreachedOwners"]) == (None, None, 1)
    assert (gap["赵六"]["deliveredBy"], gap["赵六"]["deliveredTo"]) == ("in_person", "赵六")
    recorded(url, committee, "deliverBallot", "DeliverBallotInput", compoundId=a, voteId=hire, building="3栋",
             unit="101", method="post", deliveredOn=TODAY.isoformat(), recipient="成都置业收发室")
    contract = {"startsOn": TODAY.isoformat(), "endsOn": (TODAY + timedelta(days=3 * 365)).isoformat(),
                "feePerM2": "1.80"}
    early = do(url, committee, "registerServiceContract", "RegisterContractInput", compoundId=a, resolutionId=hire,
               **contract)
    assert "has not passed" in early["message"]
    recorded(url, committee, "closeVote", "CloseVoteInput", compoundId=a, voteId=hire, objectionDays=10)
    # Preliminary: 4 of 5 owners with 400 of 500 m² took part; yes 2 owners of 4, not more than half.
    preliminary = do(url, committee, "registerServiceContract", "RegisterContractInput", compoundId=a,
                     resolutionId=hire, **contract)
    assert "the result is preliminary" in preliminary["message"]
    # 赵六 objects, as a resident of their unit, that their paper ballot said yes; another unit may not.
    for who, unit, typename in (("resident", "102", "NotAllowed"), ("zhao", "102", "Recorded")):
        token = t["resident"] if who == "resident" else system.token(f"resident:{a}:2栋102")
        objected = do(url, token, "lodgeVoteObjection", "VoteObjectionInput", compoundId=a, voteId=hire,
                      building="2栋", unit=unit, objection="我的纸质票勾选的是同意")
        assert objected["__typename"] == typename, objected
    too_soon = do(url, committee, "finaliseVote", "FinaliseVoteInput", compoundId=a, voteId=hire)
    assert "objections may be lodged until" in too_soon["message"]
    recorded(url, committee, "answerVoteObjection", "AnswerVoteObjectionInput", compoundId=a, voteId=hire,
             number=1, upheld=True, choice="yes", reason="复核原始纸质票，确为同意")
    final(hire)
    recorded(url, committee, "registerServiceContract", "RegisterContractInput", compoundId=a, resolutionId=hire,
             **contract)
    dismissal = do(url, committee, "dismissPropertyCompany", "DismissCompanyInput", compoundId=a,
                   resolutionId=hire, endsOn=TODAY.isoformat(), reason="服务差")
    assert dismissal["__typename"] == "RuleViolated"
    assert "not a resolution to dismiss_property_company" in dismissal["message"]
    wait_until(lambda: (vote() or {}).get("stage") == "final", "the final count to be projected")
    result = vote()
    assert (result["majority"], result["valid"], result["passed"], result["unreachedOwners"]) == (
        "ordinary", True, True, 0)
    assert (result["totalOwners"], Decimal(result["totalArea"])) == (5, Decimal("500"))
    assert (result["votedOwners"], Decimal(result["votedArea"]), result["yesOwners"]) == (4, Decimal("400"), 3)
    assert result["countOccasion"] == "final" and "more than 1/2" in result["reason"]
    assert result["objections"] == [{"number": 1, "owner": "赵六", "objection": "我的纸质票勾选的是同意",
                                     "upheld": True, "answer": "复核原始纸质票，确为同意"}]
    steps = [e["node"]["step"] for e in result["timeline"]["edges"]]
    assert [s for n, s in enumerate(steps) if s not in steps[:n] or s == "AssemblyVoteCounted"] == [
        "AssemblyVoteOpened", "BallotDelivered", "BallotCast", "AssemblyVoteClosed", "AssemblyVoteCounted",
        "VoteObjectionLodged", "VoteObjectionAnswered", "BallotCorrected", "AssemblyVoteCounted",
        "AssemblyVoteFinalised", "AssemblyVoteCounted"]
    details = [e["node"]["detail"] for e in result["timeline"]["edges"]]
    assert any(d.startswith("objection 1 by 赵六") for d in details)  # opened for the auditor
    table = {e["node"]["owner"]: e["node"] for e in result["voteTable"]["edges"]}
    assert table["张三"]["units"] == "1栋-101、1栋-102" and Decimal(table["张三"]["area"]) == Decimal("150")
    assert (table["赵六"]["choice"], table["赵六"]["how"]) == ("yes", "objection")
    assert (table["成都置业"]["choice"], table["成都置业"]["deliveredBy"], table["成都置业"]["deliveredTo"]) == (
        None, "post", "成都置业收发室")
    # The branch supervises: it sees the result, but not who voted how by name, nor who objected.
    branch_view = graphql(url, t["branch"], VOTE, {"a": a, "v": hire}).json()["data"]["assemblyVote"]
    assert branch_view["passed"] and {e["node"]["owner"] for e in branch_view["voteTable"]["edges"]} == {"***"}
    assert branch_view["objections"][0]["owner"] == "***" and branch_view["objections"][0]["upheld"]
    # The owner checks their receipt; a resident of the compound may, the property company may not.
    check = "query($a: UUID!, $r: String!) { ballotReceipt(compoundId: $a, receipt: $r) { choice counted } }"
    mine = graphql(url, t["resident"], check, {"a": a, "r": receipts["1011栋"]}).json()["data"]["ballotReceipt"]
    assert mine == {"choice": "yes", "counted": True}
    assert graphql(url, t["property"], check, {"a": a, "r": receipts["1011栋"]}).json()["errors"]

    wait_until(lambda: graphql(url, t["resident"], CONTRACTS, {"a": a}).json()["data"]["serviceContracts"],
               "the contract to be projected")
    (active,) = graphql(url, t["resident"], CONTRACTS, {"a": a}).json()["data"]["serviceContracts"]
    assert (active["companyName"], active["resolutionId"], active["active"]) == ("晋阳物业", hire, True)

    # Dismissal: only on a final, passed dismissal of that company.
    dismiss = open_vote(matter="dismiss_property_company", title="解聘晋阳物业", description="服务不达标",
                        companyId=company)
    for building, unit in (("1栋", "101"), ("1栋", "201"), ("2栋", "101"), ("2栋", "102"), ("3栋", "101")):
        recorded(url, committee, "castBallot", "CastBallotInput", compoundId=a, voteId=dismiss, building=building,
                 unit=unit, choice="no", channel="online")
    recorded(url, committee, "closeVote", "CloseVoteInput", compoundId=a, voteId=dismiss)
    final(dismiss)
    failed = do(url, committee, "dismissPropertyCompany", "DismissCompanyInput", compoundId=a,
                resolutionId=dismiss, endsOn=TODAY.isoformat(), reason="服务差")
    assert "has not passed that resolution to dismiss_property_company" in failed["message"]

    # Money: fund spending on a passed resolution, borne by 1栋 and 2栋; fees under the contract.
    fund = open_vote(matter="use_maintenance_fund", title="电梯维修", description="动用维修资金", amount="20000")
    for building, unit in (("1栋", "101"), ("1栋", "201"), ("2栋", "101"), ("2栋", "102"), ("3栋", "101")):
        recorded(url, committee, "castBallot", "CastBallotInput", compoundId=a, voteId=fund, building=building,
                 unit=unit, choice="yes", channel="online")
    recorded(url, committee, "closeVote", "CloseVoteInput", compoundId=a, voteId=fund)
    final(fund)
    recorded(url, committee, "authoriseFundUse", "AuthoriseFundUseInput", compoundId=a, resolutionId=fund,
             purpose="1、2栋电梯更换钢丝绳")
    recorded(url, committee, "disburseFund", "DisburseFundInput", compoundId=a, resolutionId=fund,
             amount="12500", payee="成都电梯公司", paidOn=TODAY.isoformat(), borneBy=["1栋", "2栋"])
    period = f"{TODAY.year}-{TODAY.month:02d}"
    unserved = do(url, t["property"], "billFee", "BillFeeInput", compoundId=a, period=period, household="1栋-101",
                  amount="162")
    assert "no property company serves the compound" in unserved["message"]
    recorded(url, t["property"], "takeUpService", "TakeUpServiceInput", compoundId=a, companyId=company,
             basis="owners_contract", since=TODAY.isoformat())
    wrong = do(url, t["property"], "billFee", "BillFeeInput", compoundId=a, period=period, household="1栋-101",
               amount="200")
    assert f"1栋-101 owes ¥162.00 for {period}: 90.00 m² at ¥1.80 per m² a month" in wrong["message"]
    for household, amount, paid in (("1栋-101", "162", "162"), ("1栋-201", "144", "100"), ("2栋-101", "180", None)):
        recorded(url, t["property"], "billFee", "BillFeeInput", compoundId=a, period=period,
                 household=household, amount=amount)
        if paid:
            recorded(url, t["property"], "recordFeePayment", "FeePaymentInput", compoundId=a, period=period,
                     household=household, amount=paid, paidOn=TODAY.isoformat())

    def money(who="auditor"):
        answer = graphql(url, t[who], MONEY, {"a": a}).json()
        assert "errors" not in answer, answer
        return answer["data"]

    wait_until(lambda: money()["maintenanceFund"]["disbursed"] == "12500.00" and money()["feeCollection"]
               and money()["feeCollection"][0]["householdsBilled"] == 3
               and Decimal(money()["feeCollection"][0]["paid"]) == 262, "the money to be projected")
    (fees,) = money()["feeCollection"]
    assert (fees["period"], fees["householdsPaid"], Decimal(fees["billed"])) == (period, 1, Decimal("486"))
    assert fees["collectionRate"] == pytest.approx(262 / 486)
    (disbursement,) = money()["maintenanceFund"]["uses"][0]["disbursements"]
    # 1栋 230 m² and 2栋 170 m² bear ¥12,500: ¥31.25 a m², so every share is exact.
    assert disbursement["borneBy"] == ["1栋", "2栋"]
    assert [(b["building"], b["units"], Decimal(b["area"]), Decimal(b["share"])) for b in disbursement["byBuilding"]] == [
        ("1栋", 3, Decimal("230"), Decimal("7187.50")), ("2栋", 2, Decimal("170"), Decimal("5312.50"))]
    assert [(s["unit"], s["owner"], Decimal(s["share"])) for s in disbursement["shares"]] == [
        ("101", "张三", Decimal("2812.50")), ("102", "张三", Decimal("1875.00")), ("201", "李四", Decimal("2500.00")),
        ("101", "王五", Decimal("3125.00")), ("102", "赵六", Decimal("2187.50"))]
    # A resident reads the shares of their own unit; the others' are masked.
    seen = graphql(url, system.token(f"resident:{a}:201"), MONEY, {"a": a}).json()["data"]
    shares = seen["maintenanceFund"]["uses"][0]["disbursements"][0]["shares"]
    assert [(s["owner"], s["share"]) for s in shares] == [
        ("***", None), ("***", None), ("李四", "2500.00"), ("***", None), ("***", None)]
