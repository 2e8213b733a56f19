"""The party branch end to end through GraphQL on the real servers: establishment, members, a seat
on the owners' committee matched with the committee's own election, a joint meeting, a supervision
notice the property company rectifies and one that goes overdue, an evaluation, a case a member
took and a resident rated; then the compound's profile, its star rating with the figures and events
behind it, and the street's coverage."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from uuid import UUID

import pytest
from psycopg import sql

from services.common.context import acting, china_date, utc_now
from tests.conftest import BEIYUAN, graphql, wait_until

TODAY = china_date(utc_now())


def day(n: int) -> str:
    return (TODAY + timedelta(days=n)).isoformat()


def run(url, token, mutation, input_type, /, answer="... on Recorded { aggregateId }", **input_):
    query = (f"mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ __typename ... on Problem "
             f"{{ message }} {answer} }} }}")
    response = graphql(url, token, query, {"input": input_}).json()
    assert "errors" not in response, response
    return response["data"][mutation]


def recorded(url, token, mutation, input_type, /, **input_):
    result = run(url, token, mutation, input_type, **input_)
    assert result["__typename"] == "Recorded", result
    return result["aggregateId"]


def created(url, token, mutation, input_type, /, **input_):
    result = run(url, token, mutation, input_type, answer="... on Created { id }", **input_)
    assert result["__typename"] == "Created", result
    return result["id"]


@pytest.fixture
def scene(system):
    system.settings = replace(system.settings, rate_limit=10_000.0)
    system.start_relay()
    system.start_projector()
    system.start("reactor", "react")
    url = system.start_api()
    with acting("admin"):
        compound = system.services.residents.register_compound(**{**BEIYUAN, "residents": 300}).aggregate_id
        other = system.services.residents.register_compound(**{**BEIYUAN, "name": "锦苑小区"}).aggregate_id
        company = system.services.property.register_company(
            name="晋阳物业", credit_code="91510107MA6CY8QK2D").aggregate_id
    tokens = {who: system.token(spec) for who, spec in {
        "admin": "admin", "branch": f"body:branch:{compound}", "committee": f"body:owners_committee:{compound}",
        "property": f"body:property:{compound}", "resident": f"resident:{compound}:3栋101",
        "auditor": "auditor:street:晋阳街道"}.items()}
    return url, str(compound), str(other), str(company), tokens


PROFILE = """query($a: UUID!) { compound(id: $a) {
  bodies { branch ownersCommittee propertyCompany propertyCompanyName twoNone fourInOne }
  branch { name mode memberCount members { totalCount edges { node { name kind organisation secretary
    groupBuilding centralHouseholds } } } groups { building leader members } }
  crossAppointments { member body seat matched }
  jointMeetings { edges { node { topic bodies attendees decisions } } }
  supervisionNotices { edges { node { matter state round overdue report } } }
  openNotices: supervisionNotices(open: true) { totalCount }
  latestEvaluation { evaluated sheets average residentSheets memberSheets verdict }
  starRating { period stars members participatingMembers memberParticipation residents
    residentParticipations residentParticipation scores satisfaction
    thresholds { stars memberParticipation }
    evidence(first: 100) { totalCount edges { node { kind figure body } } } } } }"""


def test_a_branch_leads_supervises_and_is_rated_through_graphql(scene, system):
    url, a, other, company, t = scene
    branch, committee, property_ = t["branch"], t["committee"], t["property"]
    early = run(url, branch, "reportMember", "ReportMemberInput", answer="", compoundId=a, name="张建国", building="1栋",
                kind="resident", reportedOn=day(0))
    assert early["__typename"] == "RuleViolated" and "has no party branch" in early["message"]
    recorded(url, t["admin"], "establishBranch", "EstablishBranchInput", compoundId=a, name="北苑小区党支部",
             mode="single")
    second = run(url, t["admin"], "establishBranch", "EstablishBranchInput", compoundId=a, name="另一个支部",
                 mode="single")
    assert second["__typename"] == "RuleViolated" and "active party branch already" in second["message"]

    # Members: one who lives here, one in service (双报到), one floating (流动党员)
    secretary = created(url, branch, "reportMember", "ReportMemberInput", compoundId=a, name="张建国",
                        building="1栋", kind="resident", reportedOn=day(0))
    cadre = created(url, branch, "reportMember", "ReportMemberInput", compoundId=a, name="王五", building="2栋",
                    kind="in_service", organisation="武侯区税务局", reportedOn=day(0))
    floating = created(url, branch, "reportMember", "ReportMemberInput", compoundId=a, name="李梅", building="2栋",
                       kind="floating", organisation="绵阳市某社区党委", reportedOn=day(0))
    recorded(url, branch, "chooseBranchCommittee", "BranchCommitteeInput", compoundId=a, secretary=secretary,
             members=[cadre], chosenOn=day(0))
    group = created(url, branch, "formBuildingGroup", "BuildingGroupInput", compoundId=a, building="2栋",
                    leader=cadre)
    recorded(url, branch, "assignToGroup", "AssignToGroupInput", compoundId=a, groupId=group, memberId=floating)
    recorded(url, branch, "designateCentralHousehold", "CentralHouseholdInput", compoundId=a, memberId=floating,
             households=10)

    # The owners elect 王五 to their committee; the branch records his seat (交叉任职)
    refused = run(url, branch, "recordCrossAppointment", "CrossAppointmentInput", compoundId=a, memberId=cadre,
                  body="owners_committee", seat="主任", since=day(0))
    assert refused["__typename"] == "RuleViolated" and "no owners' committee" in refused["message"]
    for unit, owner in (("101", "王五"), ("102", "赵六")):
        recorded(url, committee, "registerExclusiveUnit", "RegisterExclusiveUnitInput", compoundId=a,
                 building="2栋", unit=unit, exclusiveArea="90", owner=owner)
    vote = recorded(url, committee, "openVote", "OpenVoteInput", compoundId=a, matter="elect_committee",
                    title="选举业委会", description="首届", closesOn=day(0), candidates=["王五", "赵六"])
    for unit in ("101", "102"):
        run(url, committee, "castBallot", "CastBallotInput", answer="", compoundId=a, voteId=vote, building="2栋",
            unit=unit, choice="yes", channel="paper")
    recorded(url, committee, "closeVote", "CloseVoteInput", compoundId=a, voteId=vote)
    later = datetime.now(timezone.utc) + timedelta(days=8)  # the week of objections is over: the count is final
    with acting(f"body:owners_committee:{a}", clock=lambda: later):
        system.services.owners_committee.finalise_vote(compound_id=UUID(a), vote_id=UUID(vote))
    recorded(url, committee, "recordCommitteeElection", "CommitteeElectionInput", compoundId=a, resolutionId=vote,
             termStarts=day(0), termEnds=day(1500))
    recorded(url, branch, "recordCrossAppointment", "CrossAppointmentInput", compoundId=a, memberId=cadre,
             body="owners_committee", seat="主任", since=day(0))
    recorded(url, branch, "recordCrossAppointment", "CrossAppointmentInput", compoundId=a, memberId=floating,
             body="residents", seat="委员", since=day(0))  # the council has not seated her: unmatched

    # A property company takes up the compound; the four bodies meet
    absent = run(url, branch, "holdJointMeeting", "JointMeetingInput", compoundId=a, heldOn=day(0), topic="停车",
                 bodies=["branch", "property"], attendees=[2, 1], decisions=["划线"])
    assert absent["__typename"] == "RuleViolated" and "no property company" in absent["message"]
    recorded(url, property_, "takeUpService", "TakeUpServiceInput", compoundId=a, companyId=company,
             basis="preliminary", since=day(-400))
    recorded(url, branch, "holdJointMeeting", "JointMeetingInput", compoundId=a, heldOn=day(0), topic="停车难",
             bodies=["branch", "residents", "owners_committee", "property"], attendees=[3, 12, 2, 1],
             decisions=["划定临时车位", "物业三日内清理僵尸车"])

    # Two supervision notices to the company: one rectified and closed, one left to go overdue
    rectified = recorded(url, branch, "issueSupervisionNotice", "SupervisionNoticeInput", compoundId=a,
                         addressedTo="property", matter="消防通道堵塞", requirement="清理并设禁停标识",
                         issuedOn=day(-10), rectifyBy=day(5))
    overdue = recorded(url, branch, "issueSupervisionNotice", "SupervisionNoticeInput", compoundId=a,
                       addressedTo="property", matter="电梯年检过期", requirement="完成年检", issuedOn=day(-30),
                       rectifyBy=day(-2))
    wrong_body = run(url, committee, "reportRectification", "ReportRectificationInput", compoundId=a,
                     noticeId=rectified, report="不是我们", reportedOn=day(0))
    assert wrong_body["__typename"] == "NotAllowed" and "addressed to the property" in wrong_body["message"]
    too_soon = run(url, branch, "closeSupervisionNotice", "CloseNoticeInput", compoundId=a, noticeId=rectified,
                   note="合格")
    assert too_soon["__typename"] == "RuleViolated"
    recorded(url, property_, "reportRectification", "ReportRectificationInput", compoundId=a, noticeId=rectified,
             report="已清理并设立标识", reportedOn=day(0))

    def state_of(notice):
        response = graphql(url, branch, "query($a: UUID!) { compound(id: $a) { supervisionNotices { edges { node {"
                           " id state } } } } }", {"a": a})
        if response.status_code == 429:  # polled faster than the token's rate while the reactor works
            return None
        compound = response.json()["data"]["compound"]
        if compound is None:  # not projected yet: nothing waited for the projector till now
            return None
        return {e["node"]["id"]: e["node"]["state"] for e in compound["supervisionNotices"]["edges"]}.get(notice)

    wait_until(lambda: state_of(rectified) == "reported", "the branch to note the rectification")
    recorded(url, branch, "closeSupervisionNotice", "CloseNoticeInput", compoundId=a, noticeId=rectified,
             note="复查合格")

    # An activity, a case a member took and the resident rated, and an evaluation of the company
    recorded(url, branch, "recordBranchActivity", "BranchActivityInput", compoundId=a, heldOn=day(0),
             title="主题党日：楼道清理", participants=[secretary, cadre], residentsAttending=20)
    case = recorded(url, t["resident"], "raiseCase", "RaiseCaseInput", compoundId=a, category="repairs",
                    description="3栋路灯不亮", location="3栋")
    wait_until(lambda: run(url, branch, "dispatchCase", "DispatchCaseInput", compoundId=a, caseId=case,
                           taker="party_member", assignee="李梅")["__typename"] == "Recorded",
               "the branch to receive the case")
    recorded(url, branch, "acceptCase", "CaseInput", compoundId=a, caseId=case)
    recorded(url, branch, "resolveCase", "CaseTextInput", compoundId=a, caseId=case, text="已更换灯泡")
    wait_until(lambda: run(url, t["resident"], "rateCase", "RateCaseInput", compoundId=a, caseId=case,
                           score=5)["__typename"] == "Recorded", "the residents to note the resolution")
    evaluation = recorded(url, branch, "openEvaluation", "OpenEvaluationInput", compoundId=a, evaluated="property",
                          title="2026年物业服务评议", closesOn=day(7))
    for kind, rater, score in (("resident", "1栋101", 4), ("resident", "1栋102", 5), ("resident", "3栋101", 3),
                               ("member", "张建国", 4)):
        recorded(url, branch, "scoreEvaluation", "ScoreEvaluationInput", compoundId=a, evaluationId=evaluation,
                 raterKind=kind, rater=rater, score=score)
    twice = run(url, branch, "scoreEvaluation", "ScoreEvaluationInput", compoundId=a, evaluationId=evaluation,
                raterKind="resident", rater="1栋101", score=1)
    assert twice["__typename"] == "RuleViolated"
    recorded(url, branch, "publishEvaluation", "PublishEvaluationInput", compoundId=a,
                         evaluationId=evaluation)

    def profile():
        return graphql(url, t["auditor"], PROFILE, {"a": a}).json()["data"]["compound"]

    wait_until(lambda: (profile()["latestEvaluation"] or {}).get("verdict") is not None
               and profile()["starRating"]["scores"] == 5, "the evaluation and the rating to be projected")
    seen = profile()
    assert seen["bodies"] == {"branch": True, "ownersCommittee": True, "propertyCompany": True,
                              "propertyCompanyName": "晋阳物业", "twoNone": False, "fourInOne": True}
    assert seen["branch"]["memberCount"] == 3
    members = {e["node"]["name"]: e["node"] for e in seen["branch"]["members"]["edges"]}
    assert members["张建国"]["secretary"] and members["王五"]["organisation"] == "武侯区税务局"
    assert (members["李梅"]["kind"], members["李梅"]["groupBuilding"], members["李梅"]["centralHouseholds"]) == (
        "floating", "2栋", 10)
    assert seen["branch"]["groups"] == [{"building": "2栋", "leader": "王五", "members": 2}]
    assert sorted((c["member"], c["body"], c["matched"]) for c in seen["crossAppointments"]) == [
        ("李梅", "residents", False), ("王五", "owners_committee", True)]
    assert seen["jointMeetings"]["edges"][0]["node"]["attendees"] == [3, 12, 2, 1]
    notices = {n["node"]["matter"]: n["node"] for n in seen["supervisionNotices"]["edges"]}
    assert (notices["消防通道堵塞"]["state"], notices["消防通道堵塞"]["overdue"]) == ("closed", False)
    assert (notices["电梯年检过期"]["state"], notices["电梯年检过期"]["overdue"]) == ("open", True)
    assert seen["openNotices"]["totalCount"] == 1
    assert seen["latestEvaluation"] == {"evaluated": "property", "sheets": 4, "average": "4.00", "residentSheets": 3,
                                        "memberSheets": 1, "verdict": "satisfied"}

    # The rating, figure by figure (the paper dates are today's, so all fall in this year):
    # 3 members, 3 took part (2 at the activity, 李梅 took the case);
    # 300 residents: 1 raised and rated + 20 at the activity + 12 at the meeting + 3 sheets = 36;
    # satisfaction (5 + 4 + 5 + 3 + 4) / 5 = 4.20: two stars (three need 20 % of residents and 4.50).
    rating = seen["starRating"]
    assert (rating["period"], rating["members"], rating["participatingMembers"], rating["memberParticipation"]) == (
        str(TODAY.year), 3, 3, "1.0000")
    assert (rating["residents"], rating["residentParticipations"], rating["residentParticipation"]) == (
        300, 36, "0.1200")
    assert (rating["scores"], rating["satisfaction"], rating["stars"]) == (5, "4.20", 2)
    kinds = sorted(e["node"]["kind"] for e in rating["evidence"]["edges"])
    assert kinds == sorted(["member_reported"] * 3 + ["activity", "case_dispatched_to_member", "case_raised",
                                                       "case_rated", "joint_meeting"] + ["evaluation_sheet"] * 4)
    assert rating["thresholds"][0] == {"stars": 1, "memberParticipation": "0.20"}
    quarter = graphql(url, t["auditor"], 'query($a: UUID!) { compound(id: $a) { starRating(period: "2026-Q5")'
                      " { stars } } }", {"a": a}).json()
    assert quarter["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": "period"}

    # Across the street: coverage, ratings, the overdue notice, satisfaction ranking
    street = graphql(url, t["auditor"], """{ coverage(street: "晋阳街道") { compounds withBranch fourInOne twoNone
        withNone } ratingDistribution(street: "晋阳街道") { branches bands { stars branches } }
        overdueItems(street: "晋阳街道") { totalCount edges { node { kind id compoundName daysOverdue } } }
        satisfactionRanking(street: "晋阳街道") { edges { node { compoundName rank satisfaction scores } } }
        twoNone: compounds(street: "晋阳街道", shape: TWO_NONE) { edges { node { name } } } }""").json()["data"]
    assert street["coverage"] == {"compounds": 2, "withBranch": 1, "fourInOne": 1, "twoNone": 1, "withNone": 1}
    assert street["ratingDistribution"] == {"branches": 1, "bands": [
        {"stars": 0, "branches": 0}, {"stars": 1, "branches": 0}, {"stars": 2, "branches": 1},
        {"stars": 3, "branches": 0}]}
    assert [e["node"] for e in street["overdueItems"]["edges"]] == [
        {"kind": "supervision_notice", "id": overdue, "compoundName": "北苑小区", "daysOverdue": 2}]
    assert [e["node"]["compoundName"] for e in street["satisfactionRanking"]["edges"]] == ["北苑小区", "锦苑小区"]
    assert street["satisfactionRanking"]["edges"][0]["node"]["satisfaction"] == "4.20"
    assert street["twoNone"]["edges"] == [{"node": {"name": "锦苑小区"}}]

    # A committee is in office to the last day of its term (China's day), not the day after: the
    # term's end moved in the read model as the passing days would move it.
    (schema,) = system.query("SELECT schema FROM projections.serving")[0]
    for days, in_office in ((0, 1), (-1, 0)):
        system.query(sql.SQL("UPDATE {}.compound_bodies SET committee_term_ends ="
                             " (now() AT TIME ZONE 'Asia/Shanghai')::date + %s WHERE compound_id = %s").format(
                                 sql.Identifier(schema)), (days, a))
        # The API remembers the coverage until it hears of the change, a moment after it commits.
        wait_until(lambda n=in_office: graphql(url, t["auditor"], '{ coverage(street: "晋阳街道") {'
                   ' withOwnersCommittee } }').json()["data"]["coverage"] == {"withOwnersCommittee": n},
                   f"{in_office} committee in office", timeout=1.0)
