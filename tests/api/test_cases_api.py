"""Cases end to end through GraphQL, on the real servers with every process running: each body
takes its own step with its own token, and the cross-organisation view follows."""

from __future__ import annotations

from dataclasses import replace

import pytest

from services.common.context import acting
from tests.conftest import BEIYUAN, graphql, wait_until

RAISE = """mutation($a: UUID!, $d: String!) { raiseCase(input: {compoundId: $a, category: "repairs",
  description: $d, location: "后门"}) { __typename ... on Recorded { aggregateId } ... on Problem { message } } }"""
DISPATCH = """mutation($a: UUID!, $c: UUID!, $t: String!, $who: String!) { dispatchCase(input:
  {compoundId: $a, caseId: $c, taker: $t, assignee: $who}) { __typename ... on Problem { message } } }"""
STEP = """mutation($a: UUID!, $c: UUID!, $x: String!) { %s(input: {compoundId: $a, caseId: $c, text: $x})
  { __typename ... on Problem { message } } }"""
ACCEPT = """mutation($a: UUID!, $c: UUID!) { acceptCase(input: {compoundId: $a, caseId: $c})
  { __typename ... on Problem { message } } }"""
WORK = """mutation($a: UUID!, $w: UUID!, $x: String!) { %s(input: {compoundId: $a, workOrderId: $w, text: $x})
  { __typename ... on Problem { message } } }"""
ACCEPT_WORK = """mutation($a: UUID!, $w: UUID!) { acceptWorkOrder(input: {compoundId: $a, workOrderId: $w})
  { __typename ... on Problem { message } } }"""
RATE = """mutation($a: UUID!, $c: UUID!, $s: Int!) { rateCase(input: {compoundId: $a, caseId: $c, score: $s,
  comment: "很满意"}) { __typename ... on Problem { message } } }"""
CASE = """query($a: UUID!, $c: UUID!) { case(compoundId: $a, id: $c) {
  state taker dispatches workOrderId overdue score comment raisedBy assignee escalatedTo mediationOutcome
  timeline { edges { node { body step stateAfter actor hoursSincePrevious } } } } }"""
DISPUTE = """mutation($a: UUID!) { raiseCase(input: {compoundId: $a, category: "neighbour_dispute",
  description: "楼上漏水到我家", location: "2单元"}) { __typename ... on Recorded { aggregateId } } }"""
MEDIATE = """mutation($a: UUID!, $c: UUID!, $o: String!, $x: String!) { concludeMediation(input:
  {compoundId: $a, caseId: $c, outcome: $o, text: $x}) { __typename ... on Problem { message } } }"""
FIGURES = """query($a: UUID!) { caseFigures(compoundId: $a) { raised handled handledRate onTime openOverdue
  disputes mediationAgreements mediationPartial mediationFailed } }"""


@pytest.fixture
def scene(system):
    system.settings = replace(system.settings, rate_limit=10_000.0)
    for start in (system.start_relay, system.start_projector):
        start()
    system.start("reactor", "react")
    url = system.start_api()
    with acting("admin"):
        compound = system.services.residents.register_compound(
            **BEIYUAN).aggregate_id
    tokens = {who: system.token(spec) for who, spec in {
        "resident": f"resident:{compound}:1栋101", "neighbour": f"resident:{compound}:1栋102",
        "branch": f"body:branch:{compound}",
        "property": f"body:property:{compound}", "auditor": "auditor:street:晋阳街道"}.items()}
    return url, str(compound), tokens


def run(url, token, query, **variables):
    answer = graphql(url, token, query, variables).json()
    assert "errors" not in answer, answer
    (result,) = answer["data"].values()
    assert result.get("__typename", "Recorded") == "Recorded", result
    return result


def seen(url, token, compound, case):
    return graphql(url, token, CASE, {"a": compound, "c": case}).json()["data"]["case"]


def wait_for_state(url, token, compound, case, state):
    wait_until(lambda: (seen(url, token, compound, case) or {}).get("state") == state, f"the case to be {state}")
    return seen(url, token, compound, case)


def test_raise_dispatch_accept_resolve_rate(scene):
    url, compound, t = scene
    case = run(url, t["resident"], RAISE, a=compound, d="后大门坏了，关不上")["aggregateId"]
    wait_for_state(url, t["branch"], compound, case, "raised")
    # The branch can dispatch once the reactor has opened its file on the case.
    wait_until(lambda: graphql(url, t["branch"], DISPATCH, {"a": compound, "c": case, "t": "property",
                                                            "who": "晋阳物业"}).json()["data"]
               ["dispatchCase"]["__typename"] == "Recorded", "the branch to dispatch")
    order = wait_for_state(url, t["branch"], compound, case, "dispatched")["workOrderId"]
    wait_until(lambda: graphql(url, t["property"], ACCEPT_WORK, {"a": compound, "w": order}).json()["data"]
               ["acceptWorkOrder"]["__typename"] == "Recorded", "the property company to accept")
    run(url, t["property"], WORK % "recordWorkOrderProgress", a=compound, w=order, x="已订购门锁")
    run(url, t["property"], WORK % "resolveWorkOrder", a=compound, w=order, x="更换了门锁")
    wait_for_state(url, t["branch"], compound, case, "resolved")
    wait_until(lambda: graphql(url, t["resident"], RATE, {"a": compound, "c": case, "s": 5}).json()["data"]
               ["rateCase"]["__typename"] == "Recorded", "the resident to rate")

    # Another resident may not rate it: who asks, not a rule of the process.
    neighbour = graphql(url, t["neighbour"], """mutation($a: UUID!, $c: UUID!) { rateCase(input: {compoundId: $a,
        caseId: $c, score: 1}) { __typename ... on NotAllowed { right message } } }""", {"a": compound, "c": case})
    assert neighbour.json()["data"]["rateCase"] == {
        "__typename": "NotAllowed", "right": "Mutation.rateCase",
        "message": "only the resident who raised the case may rate it"}

    as_branch = wait_for_state(url, t["branch"], compound, case, "closed")
    steps = [(s["node"]["body"], s["node"]["step"]) for s in as_branch["timeline"]["edges"]]
    assert [s for s in steps if s[1] in ("CaseRaised", "CaseDispatched", "WorkOrderAccepted",
                                         "WorkOrderResolved", "CaseRated")] == [
        ("residents", "CaseRaised"), ("branch", "CaseDispatched"), ("property", "WorkOrderAccepted"),
        ("property", "WorkOrderResolved"), ("residents", "CaseRated")]
    assert ("branch", "CaseReceived") in steps and ("property", "WorkOrderOpened") in steps
    assert (as_branch["taker"], as_branch["dispatches"], as_branch["overdue"]) == ("property", 1, False)
    # The branch supervises but sees no resident's personal data; an auditor does.
    assert (as_branch["score"], as_branch["comment"], as_branch["raisedBy"]) == (None, "***", "***")
    as_auditor = seen(url, t["auditor"], compound, case)
    assert (as_auditor["score"], as_auditor["comment"]) == (5, "很满意")
    assert as_auditor["raisedBy"] == f"resident:{compound}:1栋101"
    mine = graphql(url, t["resident"], "{ myCases { edges { node { id state score } } } }").json()
    assert mine["data"]["myCases"]["edges"] == [{"node": {"id": case, "state": "closed", "score": 5}}]


def test_a_refused_case_is_dispatched_again(scene):
    url, compound, t = scene
    case = run(url, t["resident"], RAISE, a=compound, d="楼道灯不亮")["aggregateId"]
    wait_until(lambda: graphql(url, t["branch"], DISPATCH, {"a": compound, "c": case, "t": "property",
                                                            "who": "晋阳物业"}).json()["data"]
               ["dispatchCase"]["__typename"] == "Recorded", "the branch to dispatch")
    order = wait_for_state(url, t["branch"], compound, case, "dispatched")["workOrderId"]
    wait_until(lambda: graphql(url, t["property"], WORK % "refuseWorkOrder", {"a": compound, "w": order,
                                                                              "x": "属于公共照明，归社区"})
               .json()["data"]["refuseWorkOrder"]["__typename"] == "Recorded", "the refusal")
    wait_for_state(url, t["branch"], compound, case, "refused")

    wait_until(lambda: graphql(url, t["branch"], DISPATCH, {"a": compound, "c": case, "t": "party_member",
                                                            "who": "田景余"}).json()["data"]
               ["dispatchCase"]["__typename"] == "Recorded", "the second dispatch")
    run(url, t["branch"], ACCEPT, a=compound, c=case)
    run(url, t["branch"], STEP % "resolveCase", a=compound, c=case, x="联系社区换了灯")
    resolved = wait_for_state(url, t["auditor"], compound, case, "resolved")
    assert (resolved["taker"], resolved["dispatches"], resolved["assignee"]) == ("party_member", 2, "田景余")
    states = [s["node"]["stateAfter"] for s in resolved["timeline"]["edges"] if s["node"]["stateAfter"]]
    assert states == ["raised", "dispatched", "refused", "dispatched", "accepted", "resolved"]

    # The property company cannot take a case that is no longer its own.
    again = graphql(url, t["property"], ACCEPT_WORK, {"a": compound, "w": order}).json()
    assert again["data"]["acceptWorkOrder"]["__typename"] == "RuleViolated"


def test_an_overdue_case_escalates_and_a_dispute_is_mediated(scene, system):
    """Escalation by the deadline watcher, and a dispute through the mediation room, read back in
    the view and the figures."""
    from datetime import datetime, timedelta, timezone

    from infra.deadlines import escalate_overdue

    url, compound, t = scene
    late = run(url, t["resident"], RAISE, a=compound, d="消防通道被堵")["aggregateId"]
    dispute = run(url, t["resident"], DISPUTE, a=compound)["aggregateId"]
    wait_for_state(url, t["branch"], compound, late, "raised")

    # Three days on, the repairs case is past its 72 h: the watcher sends it up to the community.
    wait_until(lambda: escalate_overdue(system.settings, system.services,
                                        datetime.now(tz=timezone.utc) + timedelta(hours=73)) >= 1,
               "the watcher to escalate")
    wait_until(lambda: seen(url, t["auditor"], compound, late)["escalatedTo"] == "community",
               "the view to show the escalation")
    escalated = seen(url, t["auditor"], compound, late)
    assert escalated["state"] == "raised"
    assert [s["node"]["step"] for s in escalated["timeline"]["edges"]][-1] == "CaseEscalated"

    wait_until(lambda: graphql(url, t["branch"], DISPATCH, {"a": compound, "c": dispute, "t": "mediation_room",
                                                            "who": "晋阳物业调解室"}).json()["data"]
               ["dispatchCase"]["__typename"] == "Recorded", "the dispatch to mediation")
    run(url, t["branch"], ACCEPT, a=compound, c=dispute)
    run(url, t["branch"], MEDIATE, a=compound, c=dispute, o="partial", x="楼上赔偿一半")
    mediated = wait_for_state(url, t["auditor"], compound, dispute, "resolved")
    assert mediated["mediationOutcome"] == "partial"

    figures = graphql(url, t["resident"], FIGURES, {"a": compound}).json()["data"]["caseFigures"]
    assert figures == {"raised": 2, "handled": 1, "handledRate": 0.5, "onTime": 1, "openOverdue": 0,
                       "disputes": 1, "mediationAgreements": 0, "mediationPartial": 1, "mediationFailed": 0}
