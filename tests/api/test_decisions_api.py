"""Decisions and money end to end through GraphQL, on the real servers: the Beiyuan back-gate
project from meetings to settlement, an owners' vote that hires the property company and the
contract resting on it, a dismissal refused without a resolution, receipts, fund and fees."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from services.common.context import acting, china_date, utc_now
from tests.conftest import BEIYUAN, graphql, wait_until

TODAY = china_date(utc_now())


def day(n: int) -> str:
    return (TODAY - timedelta(days=n)).isoformat()


def mutation(name: str, fields: str, answer: str = "") -> str:
    return (f"mutation($input: {fields}!) {{ {name}(input: $input) {{ __typename ... on Problem {{ message }}"
            f" {answer} }} }}")


def do(url, token, name, input_type, **input_):
    success = "... on BallotRecorded { receipt }" if name == "castBallot" else "... on Recorded { aggregateId }"
    answer = graphql(url, token, mutation(name, input_type, success), {"input": input_}).json()
    assert "errors" not in answer, answer
    return answer["data"][name]


def recorded(url, token, name, input_type, **input_):
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
  timeline(first: 100) { totalCount edges { node { step onDate detail } } } } }"""


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
    plan = {"content": "更换后门、加装门禁", "budget": "36000", "funding": "self_raised",
            "contributingHouseholds": 28, "contributionPerHousehold": "1285.71"}
    assert step("draftProjectPlan", "ProjectPlanInput", **plan)["__typename"] == "Recorded"
    early = step("voteOnProject", "ProjectVoteInput", votedOn=day(50), members=37, yes=30, no=0, abstain=0)
    assert early["__typename"] == "RuleViolated" and "only when it is publicised" in early["message"]
    step("publiciseProject", "PubliciseProjectInput", postedOn=day(50), days=7)
    too_soon = step("voteOnProject", "ProjectVoteInput", votedOn=day(45), members=37, yes=30, no=0, abstain=0)
    assert "no vote before it ends" in too_soon["message"]
    no_bids_yet = step("receiveProjectBid", "ProjectBidInput", bidder="锦江建筑", amount="36000")
    assert "no contract before approval" in no_bids_yet["message"]
    assert step("voteOnProject", "ProjectVoteInput", votedOn=day(42), members=37, yes=24, no=10,
                abstain=3)["__typename"] == "Recorded"  # 24 of 37: rejected
    step("draftProjectPlan", "ProjectPlanInput", **plan)  # revised after the council's questions
    step("publiciseProject", "PubliciseProjectInput", postedOn=day(40), days=7)
    assert step("lodgeProjectObjection", "ProjectObjectionInput", lodgedOn=day(38),
                objection="门禁卡费用谁承担？")["__typename"] == "Recorded"
    step("answerProjectObjection", "ProjectObjectionAnswerInput", number=1, answer="由28户自筹款支付")
    step("voteOnProject", "ProjectVoteInput", votedOn=day(32), members=37, yes=25, no=9, abstain=3)
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
    # The branch reads the ledger; it does not write the council's steps.
    refused = do(url, t["branch"], "withdrawProject", "WithdrawProjectInput", compoundId=a, projectId=project,
                 reason="x")
    assert refused["__typename"] == "NotAllowed"


VOTE = """query($a: UUID!, $v: UUID!) { assemblyVote(compoundId: $a, id: $v) { state majority totalOwners
  totalArea votedOwners votedArea yesOwners yesArea valid passed reason countOccasion corrections
  voteTable { edges { node { owner units area choice how } } } } }"""
CONTRACTS = """query($a: UUID!) { serviceContracts(compoundId: $a) { companyName resolutionId active feePerM2
  terminatedOn } }"""
MONEY = """query($a: UUID!) { maintenanceFund(compoundId: $a) { authorised disbursed remaining }
  feeCollection(compoundId: $a) { period householdsBilled householdsPaid billed paid collectionRate } }"""


def test_a_hiring_vote_a_contract_on_it_and_a_dismissal_refused_without_one(scene, system):
    url, a, company, t = scene
    committee = t["committee"]
    units = [("1栋", "101", "90", "张三"), ("1栋", "102", "60", "张三"), ("1栋", "201", "80", "李四"),
             ("2栋", "101", "100", "王五"), ("2栋", "102", "70", "赵六"), ("3栋", "101", "100", "成都置业")]
    for building, unit, area, owner in units:
        recorded(url, committee, "registerExclusiveUnit", "RegisterExclusiveUnitInput", compoundId=a,
                 building=building, unit=unit, exclusiveArea=area, owner=owner)
    hire = recorded(url, committee, "openVote", "OpenVoteInput", compoundId=a, matter="hire_property_company",
                    title="选聘晋阳物业", description="三年，1.80元/㎡·月", closesOn=TODAY.isoformat(),
                    companyId=company)["aggregateId"]
    receipts = {}
    for (building, unit), choice in ((("1栋", "101"), "yes"), (("1栋", "201"), "yes"), (("2栋", "101"), "no"),
                                     (("3栋", "101"), "abstain")):
        receipts[unit + building] = recorded(url, committee, "castBallot", "CastBallotInput", compoundId=a, voteId=hire,
                                             building=building, unit=unit, choice=choice, channel="paper")["receipt"]
    twice = do(url, committee, "castBallot", "CastBallotInput", compoundId=a, voteId=hire, building="1栋",
               unit="102", choice="no", channel="online")
    assert twice["__typename"] == "RuleViolated" and "one ballot per owner" in twice["message"]
    contract = {"startsOn": TODAY.isoformat(), "endsOn": (TODAY + timedelta(days=3 * 365)).isoformat(),
                "feePerM2": "1.80"}
    early = do(url, committee, "registerServiceContract", "RegisterContractInput", compoundId=a, resolutionId=hire,
               **contract)
    assert "has not passed" in early["message"]
    recorded(url, committee, "closeVote", "CloseVoteInput", compoundId=a, voteId=hire)
    # 4 of 5 owners with 370 of 500 m² took part; yes: 2 owners with 170 m², not more than half of 4.
    recorded(url, committee, "correctBallot", "CorrectBallotInput", compoundId=a, voteId=hire, building="2栋",
             unit="102", choice="yes", kind="late_paper", reason="截止日投入信箱的纸质票")
    recorded(url, committee, "registerServiceContract", "RegisterContractInput", compoundId=a, resolutionId=hire,
             **contract)
    dismissal = do(url, committee, "dismissPropertyCompany", "DismissCompanyInput", compoundId=a,
                   resolutionId=hire, endsOn=TODAY.isoformat(), reason="服务差")
    assert dismissal["__typename"] == "RuleViolated"
    assert "not a resolution to dismiss_property_company" in dismissal["message"]

    def vote():
        return graphql(url, t["auditor"], VOTE, {"a": a, "v": hire}).json()["data"]["assemblyVote"]

    wait_until(lambda: (vote() or {}).get("corrections") == 1, "the corrected count to be projected")
    result = vote()
    assert (result["state"], result["majority"], result["valid"], result["passed"]) == (
        "closed", "ordinary", True, True)
    assert (result["totalOwners"], Decimal(result["totalArea"])) == (5, Decimal("500"))
    assert (result["votedOwners"], Decimal(result["votedArea"]), result["yesOwners"]) == (5, Decimal("500"), 3)
    assert result["countOccasion"] == "late_paper" and "more than 1/2" in result["reason"]
    table = {e["node"]["owner"]: e["node"] for e in result["voteTable"]["edges"]}
    assert table["张三"]["units"] == "1栋-101、1栋-102" and Decimal(table["张三"]["area"]) == Decimal("150")
    assert (table["赵六"]["choice"], table["赵六"]["how"]) == ("yes", "late_paper")
    # The branch supervises: it sees the result, but not who voted how by name.
    branch_view = graphql(url, t["branch"], VOTE, {"a": a, "v": hire}).json()["data"]["assemblyVote"]
    assert branch_view["passed"] and {e["node"]["owner"] for e in branch_view["voteTable"]["edges"]} == {"***"}
    # The owner checks their receipt; a resident of the compound may, the property company may not.
    check = "query($a: UUID!, $r: String!) { ballotReceipt(compoundId: $a, receipt: $r) { choice counted } }"
    mine = graphql(url, t["resident"], check, {"a": a, "r": receipts["1011栋"]}).json()["data"]["ballotReceipt"]
    assert mine == {"choice": "yes", "counted": True}
    assert graphql(url, t["property"], check, {"a": a, "r": receipts["1011栋"]}).json()["errors"]

    wait_until(lambda: graphql(url, t["resident"], CONTRACTS, {"a": a}).json()["data"]["serviceContracts"],
               "the contract to be projected")
    (active,) = graphql(url, t["resident"], CONTRACTS, {"a": a}).json()["data"]["serviceContracts"]
    assert (active["companyName"], active["resolutionId"], active["active"]) == ("晋阳物业", hire, True)

    # Dismissal: only on a passed dismissal of that company.
    dismiss = recorded(url, committee, "openVote", "OpenVoteInput", compoundId=a, matter="dismiss_property_company",
                       title="解聘晋阳物业", description="服务不达标", closesOn=TODAY.isoformat(),
                       companyId=company)["aggregateId"]
    for building, unit in (("1栋", "101"), ("1栋", "201"), ("2栋", "101"), ("2栋", "102")):
        recorded(url, committee, "castBallot", "CastBallotInput", compoundId=a, voteId=dismiss, building=building,
                 unit=unit, choice="no", channel="online")
    recorded(url, committee, "closeVote", "CloseVoteInput", compoundId=a, voteId=dismiss)
    failed = do(url, committee, "dismissPropertyCompany", "DismissCompanyInput", compoundId=a,
                resolutionId=dismiss, endsOn=TODAY.isoformat(), reason="服务差")
    assert "has not passed that resolution to dismiss_property_company" in failed["message"]

    # Money: fund spending on a passed resolution to use the fund; fees billed and paid.
    fund = recorded(url, committee, "openVote", "OpenVoteInput", compoundId=a, matter="use_maintenance_fund",
                    title="电梯维修", description="动用维修资金", closesOn=TODAY.isoformat(),
                    amount="20000")["aggregateId"]
    for building, unit in (("1栋", "101"), ("1栋", "201"), ("2栋", "101"), ("2栋", "102")):
        recorded(url, committee, "castBallot", "CastBallotInput", compoundId=a, voteId=fund, building=building,
                 unit=unit, choice="yes", channel="online")
    recorded(url, committee, "closeVote", "CloseVoteInput", compoundId=a, voteId=fund)
    recorded(url, committee, "authoriseFundUse", "AuthoriseFundUseInput", compoundId=a, resolutionId=fund,
             purpose="2栋电梯更换钢丝绳")
    recorded(url, committee, "disburseFund", "DisburseFundInput", compoundId=a, resolutionId=fund,
             amount="12500", payee="成都电梯公司", paidOn=TODAY.isoformat())
    for household, amount, paid in (("1栋101", "162", "162"), ("1栋201", "144", "100"), ("2栋101", "180", None)):
        recorded(url, t["property"], "billFee", "BillFeeInput", compoundId=a, period="2026-Q4",
                 household=household, amount=amount)
        if paid:
            recorded(url, t["property"], "recordFeePayment", "FeePaymentInput", compoundId=a, period="2026-Q4",
                     household=household, amount=paid, paidOn=TODAY.isoformat())
    wanted = {"authorised": "20000.00", "disbursed": "12500.00", "remaining": "7500.00"}

    def money():
        return graphql(url, t["auditor"], MONEY, {"a": a}).json()["data"]

    wait_until(lambda: money()["maintenanceFund"] == wanted and money()["feeCollection"]
               and money()["feeCollection"][0]["householdsBilled"] == 3
               and Decimal(money()["feeCollection"][0]["paid"]) == 262, "the money to be projected")
    (fees,) = money()["feeCollection"]
    assert (fees["period"], fees["householdsPaid"], Decimal(fees["billed"])) == ("2026-Q4", 1, Decimal("486"))
    assert fees["collectionRate"] == pytest.approx(262 / 486)
