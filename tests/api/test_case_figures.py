"""A compound's case figures, checked against cases whose every time the test sets."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.common.context import acting
from tests.conftest import BEIYUAN, graphql
from tests.test_deadlines import settle

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
FIGURES = """query($a: UUID!, $since: DateTime, $before: DateTime) {
  caseFigures(compoundId: $a, raisedSince: $since, raisedBefore: $before) {
    raised withdrawn handled handledRate onTime onTimeRate medianHoursToResolve satisfaction ratings
    openOverdue disputes mediationAgreements mediationPartial mediationFailed
    claimsPublished claimsClaimed claimsSolved } }"""


def test_the_figures_count_what_the_events_say(system):
    s = system.services
    with acting("admin"):
        compound = s.residents.register_compound(
            **BEIYUAN).aggregate_id
    resident, branch = f"resident:{compound}:1栋101", f"body:branch:{compound}"

    def at(hours):
        return lambda: T0 + timedelta(hours=hours)

    with acting(resident, clock=at(0)):
        on_time, late, withdrawn, dispute, open_late = (
            s.residents.raise_case(compound_id=compound, category=category, description="问题",
                                   location="1栋").aggregate_id
            for category in ("safety", "repairs", "parking_and_charging", "neighbour_dispute", "repairs"))
    settle(system)

    def take(case, taker, resolved_after_hours):
        with acting(branch, clock=at(1)):
            s.branch.dispatch_case(compound_id=compound, case_id=case, taker=taker, assignee="田景余")
            s.branch.accept_case(compound_id=compound, case_id=case)
        with acting(branch, clock=at(resolved_after_hours)):
            if taker == "mediation_room":
                s.branch.conclude_mediation(compound_id=compound, case_id=case, outcome="agreement", note="和解")
            else:
                s.branch.resolve_case(compound_id=compound, case_id=case, summary="办好了")

    take(on_time, "party_member", 2)       # safety: due in 24 h
    take(late, "volunteer_team", 80)       # repairs: due in 72 h
    take(dispute, "mediation_room", 10)    # dispute: due in 7 days
    with acting(branch, clock=at(1)):
        s.branch.dispatch_case(compound_id=compound, case_id=open_late, taker="party_member", assignee="田景余")
    with acting(resident, clock=at(3)):
        s.residents.withdraw_case(compound_id=compound, case_id=withdrawn, reason="自己解决了")
    settle(system)
    with acting(resident, clock=at(90)):
        s.residents.rate_case(compound_id=compound, case_id=on_time, score=5)
        s.residents.rate_case(compound_id=compound, case_id=late, score=2)  # reopens it
    settle(system)
    with acting(branch, clock=at(91)):
        s.branch.dispatch_case(compound_id=compound, case_id=late, taker="volunteer_team", assignee="义务监督队")
        s.branch.accept_case(compound_id=compound, case_id=late)
        s.branch.resolve_case(compound_id=compound, case_id=late, summary="重新修好")
    settle(system)
    with acting(resident, clock=at(96)):
        s.residents.rate_case(compound_id=compound, case_id=late, score=4)
    with acting(branch, clock=at(5)):
        partner = s.branch.register_organisation(compound_id=compound, name="晋阳志愿者协会",
                                                 kind="social_organisation").aggregate_id
        planted, painted = (s.branch.publish_claimable(compound_id=compound, title=title, description="认领",
                                                       kind="project").aggregate_id
                            for title in ("河边种樱花", "粉刷围墙"))
        s.branch.record_claim(compound_id=compound, claimable_id=planted, organisation_id=partner)
        s.branch.record_claim_solved(compound_id=compound, claimable_id=planted, report="种了50棵")
    settle(system)

    url = system.start_api()
    token = system.token(resident)  # figures are public to the compound's residents
    figures = graphql(url, token, FIGURES, {"a": str(compound)}).json()["data"]["caseFigures"]
    assert figures == {
        "raised": 5, "withdrawn": 1, "handled": 3, "handledRate": 0.75,
        "onTime": 2, "onTimeRate": pytest.approx(2 / 3), "medianHoursToResolve": 10.0,
        # Every rating counts, the 2 that reopened the late case too: (5 + 2 + 4) / 3.
        "satisfaction": pytest.approx(11 / 3), "ratings": 3, "openOverdue": 1, "disputes": 1,
        "mediationAgreements": 1, "mediationPartial": 0, "mediationFailed": 0,
        "claimsPublished": 2, "claimsClaimed": 1, "claimsSolved": 1,
    }
    ranking = graphql(url, system.token("auditor:street:晋阳街道"), """{ satisfactionRanking(period: "2026-03") {
      edges { node { scores satisfaction } } } }""").json()["data"]["satisfactionRanking"]["edges"]
    assert ranking == [{"node": {"scores": 3, "satisfaction": "3.67"}}]  # the same three ratings
    before = graphql(url, token, FIGURES, {"a": str(compound), "before": T0.isoformat()}).json()
    assert before["data"]["caseFigures"]["raised"] == 0
    assert before["data"]["caseFigures"]["handledRate"] is None
    in_march = """query($a: UUID!, $since: DateTime, $before: DateTime) {
      cases(compoundId: $a, raisedSince: $since, raisedBefore: $before) { totalCount } }"""
    auditor = system.token("auditor:street:晋阳街道")
    assert graphql(url, auditor, in_march, {"a": str(compound), "since": T0.isoformat(),
                                            "before": (T0 + timedelta(days=1)).isoformat()}).json()[
        "data"]["cases"]["totalCount"] == 5
    assert graphql(url, auditor, in_march, {"a": str(compound), "before": T0.isoformat()}).json()[
        "data"]["cases"]["totalCount"] == 0
    steps = graphql(url, auditor, """query($a: UUID!, $c: UUID!) { case(compoundId: $a, id: $c) {
      timeline { edges { node { step hoursSincePrevious } } } } }""", {"a": str(compound), "c": str(late)}
    ).json()["data"]["case"]["timeline"]["edges"]
    took: dict = {}
    for step in steps:  # each step's first time (the late case was resolved twice)
        took.setdefault(step["node"]["step"], step["node"]["hoursSincePrevious"])
    assert took["CaseRaised"] is None
    assert took["CaseResolved"] == pytest.approx(79.0)  # accepted at 1 h, resolved at 80 h
