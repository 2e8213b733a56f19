"""A project of the residents' council through its lifecycle (Chengdu Beiyuan back gate), and
every step out of order refused with the reason."""

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from services.common.context import acting
from services.common.errors import InvalidInput, RuleViolated
from services.residents.project import Project, council_passes

COUNCIL = "body:residents:x"
TODAY = date(2026, 11, 20)


def day(n: int) -> date:
    """``n`` days before today."""
    return TODAY - timedelta(days=n)


@pytest.fixture
def council(services):
    with acting("admin"):
        compound = services.residents.register_compound(
            name="北苑小区", district="武侯区", street="晋阳街道", community="晋阳社区",
            households=398, residents=1100).aggregate_id
    r = services.residents
    context = acting(COUNCIL, clock=lambda: datetime(2026, 11, 20, 4, tzinfo=timezone.utc))
    context.__enter__()

    def step(name, project, **kw):
        return getattr(r, name)(compound_id=compound, project_id=project, **kw)

    def propose(title="北苑后门改造"):
        return r.propose_project(compound_id=compound, title=title, description="后门年久失修",
                                 proposed_by="residents_council").aggregate_id

    for name in MEMBERS:
        r.seat_council_member(compound_id=compound, name=name, role="议事会成员", joined_on=day(60))
    yield r, step, propose
    context.__exit__(None, None, None)


# The Beiyuan council's 37 seats (the report's figure), by name.
MEMBERS = [f"{surname}{given}" for surname in "王李张刘陈杨赵黄周吴徐孙胡" for given in ("建华", "秀英", "志强")][:37]


def council_vote(step, project, voted_on, yes, no=0, abstain=0, opened_on=None, **subject):
    """Opens a council vote, records every seated member's vote (the first ``yes`` yes, the next
    ``no`` no, the next ``abstain`` abstain, the rest absent) and closes it."""
    step("open_council_vote", project, opened_on=opened_on or voted_on, **({"subject": "plan"} | subject))
    votes = ["yes"] * yes + ["no"] * no + ["abstain"] * abstain
    for member, vote in zip(MEMBERS, votes + ["absent"] * (len(MEMBERS) - len(votes)), strict=True):
        step("record_council_member_vote", project, member=member, vote=vote)
    step("close_council_vote", project, voted_on=voted_on)


def state(r, project) -> str:
    return r.load(Project, project, "project").state.value


MEETING = {"attendees": ["王主任", "李会长", "张师傅"], "bodies": ["community", "residents_council", "contractor"],
           "minutes": "议定改造方案"}


def to_vote(step, project, posted=12, days=7):
    step("hold_project_meeting", project, held_on=day(40), **MEETING)
    step("draft_project_plan", project, content="更换后门及门禁", budget=Decimal("36000"), funding="self_raised",
         contributing_households=28, contribution_per_household=Decimal("71.43"))
    step("publicise_project", project, posted_on=day(posted), days=days)


@pytest.mark.parametrize(("members", "yes", "passes"), [(37, 25, True), (37, 24, False), (3, 2, True),
                                                        (30, 20, True), (30, 19, False), (0, 0, False)])
def test_the_council_passes_with_two_thirds_of_all_members(members, yes, passes):
    assert council_passes(members, yes) is passes


@pytest.mark.parametrize(("yes", "passes"), [(25, True), (24, False)])
def test_the_council_votes_member_by_member_against_all_37_seats(council, yes, passes):
    r, step, propose = council
    project = propose()
    to_vote(step, project)
    # Those present do not matter: 24 yes and 13 absent fails as 24 yes and 13 no would.
    council_vote(step, project, voted_on=day(3), yes=yes, no=37 - yes - 2, abstain=2)
    events = list(r.events.get(project))
    recorded = [(e.member, e.vote) for e in events if type(e).__name__ == "ProjectCouncilMemberVoted"]
    assert [m for m, _ in recorded] == MEMBERS
    assert [v for _, v in recorded[:yes + 1]] == ["yes"] * yes + ["no"]
    counted = next(e for e in events if type(e).__name__ == "ProjectCouncilVoted")
    assert (counted.members, counted.yes, counted.no, counted.abstain, counted.passed) == (
        37, yes, 35 - yes, 2, passes)
    assert state(r, project) == ("approved" if passes else "rejected")


def test_the_seats_are_frozen_when_the_vote_opens(council):
    r, step, propose = council
    project = propose()
    to_vote(step, project)
    step("open_council_vote", project, subject="plan", opened_on=day(4))
    r.seat_council_member(compound_id=r.load(Project, project, "project").compound_id, name="新成员",
                          role="议事会成员", joined_on=day(4))
    with pytest.raises(RuleViolated, match="did not sit on the council when the vote opened"):
        step("record_council_member_vote", project, member="新成员", vote="yes")
    with pytest.raises(InvalidInput, match="vote must be one of"):
        step("record_council_member_vote", project, member=MEMBERS[0], vote="maybe")
    step("record_council_member_vote", project, member=MEMBERS[0], vote="yes")
    with pytest.raises(RuleViolated, match=r"recorded already \(yes\)"):
        step("record_council_member_vote", project, member=MEMBERS[0], vote="no")
    with pytest.raises(RuleViolated, match="36 of the 37 seated members have no vote recorded"):
        step("close_council_vote", project, voted_on=day(3))
    with pytest.raises(RuleViolated, match="council vote 1 on the project is open"):
        step("open_council_vote", project, subject="plan", opened_on=day(3))
    for member in MEMBERS[1:25]:
        step("record_council_member_vote", project, member=member, vote="yes")
    for member in MEMBERS[25:]:
        step("record_council_member_vote", project, member=member, vote="absent")
    step("close_council_vote", project, voted_on=day(3))
    assert state(r, project) == "approved"  # 25 of the 37 frozen seats, the 38th member not counted


def test_the_beiyuan_back_gate_from_proposal_to_settlement(council):
    r, step, propose = council
    project = propose()
    step("hold_project_meeting", project, held_on=day(45), **MEETING)
    to_vote(step, project)
    step("lodge_project_objection", project, lodged_on=day(10), objection="门禁费用谁出？")
    with pytest.raises(RuleViolated, match=r"objections \[1\] are not answered"):
        step("open_council_vote", project, subject="plan", opened_on=day(3))
    step("answer_project_objection", project, number=1, answer="由28户自筹")
    council_vote(step, project, voted_on=day(3), yes=25, no=5, abstain=2)
    step("receive_project_bid", project, bidder="锦江建筑", amount=Decimal("36000"))
    step("receive_project_bid", project, bidder="晋阳施工队", amount=Decimal("34500"))
    step("choose_project_contractor", project, bid=2, reason="比选价低，质保两年")
    step("start_project_works", project, started_on=day(2))
    step("record_project_inspection", project, inspected_on=day(1), inspector="义务监督队",
         finding="材料与方案一致")
    step("complete_project_works", project, completed_on=day(1))
    step("accept_project", project, accepted_on=TODAY, note="验收合格")
    with pytest.raises(RuleViolated, match="above the budget of ¥36000.00"):
        step("settle_project", project, actual=Decimal("36000.01"), settled_on=TODAY)
    step("settle_project", project, actual=Decimal("34500"), settled_on=TODAY)
    settled = next(e for e in r.events.get(project) if type(e).__name__ == "ProjectSettled")
    assert (settled.actual, settled.savings) == (Decimal("34500.00"), Decimal("1500.00"))
    assert state(r, project) == "settled"


def test_24_of_37_rejects_and_a_revised_plan_goes_round_again(council):
    r, step, propose = council
    project = propose()
    to_vote(step, project, posted=30)
    council_vote(step, project, voted_on=day(22), yes=24, no=13)
    with pytest.raises(RuleViolated, match="no contract before approval"):
        step("receive_project_bid", project, bidder="锦江建筑", amount=Decimal("1"))
    step("draft_project_plan", project, content="修订方案", budget=Decimal("30000"), funding="crowdfunded")
    step("publicise_project", project, posted_on=day(12), days=7)
    council_vote(step, project, voted_on=day(3), yes=25, no=12)
    assert state(r, project) == "approved"


def test_steps_out_of_order_are_refused(council):
    r, step, propose = council
    project = propose()
    with pytest.raises(RuleViolated, match="the project is proposed: a plan is drafted only when"):
        step("draft_project_plan", project, content="x", budget=Decimal(1), funding="crowdfunded")
    to_vote(step, project, posted=5)
    with pytest.raises(RuleViolated, match="no vote before it ends"):
        step("open_council_vote", project, subject="plan", opened_on=TODAY)
    with pytest.raises(RuleViolated, match="no contract before approval"):
        step("choose_project_contractor", project, bid=1, reason="x")
    with pytest.raises(RuleViolated, match="the project is publicised: works start only"):
        step("start_project_works", project, started_on=TODAY)
    with pytest.raises(RuleViolated, match="the project is publicised: the project is settled only"):
        step("settle_project", project, actual=Decimal(1), settled_on=TODAY)
    with pytest.raises(RuleViolated, match="lodgedOn .* is before"):
        step("lodge_project_objection", project, lodged_on=day(30), objection="x")
    with pytest.raises(InvalidInput, match="is in the future"):
        step("lodge_project_objection", project, lodged_on=TODAY + timedelta(days=1), objection="x")


def test_the_notice_runs_at_least_a_week_and_dates_keep_their_order(council):
    r, step, propose = council
    project = propose()
    step("hold_project_meeting", project, held_on=day(10), **MEETING)
    with pytest.raises(RuleViolated, match="is before"):
        step("hold_project_meeting", project, held_on=day(11), **MEETING)
    with pytest.raises(InvalidInput, match="each attendee needs the body"):
        step("hold_project_meeting", project, held_on=day(9), attendees=["x"], bodies=[], minutes="m")
    with pytest.raises(InvalidInput, match="names the contributing households"):
        step("draft_project_plan", project, content="x", budget=Decimal(1), funding="self_raised")
    step("draft_project_plan", project, content="x", budget=Decimal(100), funding="government_fund")
    with pytest.raises(RuleViolated, match="at least 7 days"):
        step("publicise_project", project, posted_on=day(8), days=6)


def test_above_budget_only_after_an_amendment_that_passed(council):
    r, step, propose = council
    project = propose()
    to_vote(step, project, posted=20)
    council_vote(step, project, voted_on=day(12), yes=30)
    step("receive_project_bid", project, bidder="锦江建筑", amount=Decimal("36000"))
    step("choose_project_contractor", project, bid=1, reason="唯一报价")
    step("start_project_works", project, started_on=day(10))
    step("complete_project_works", project, completed_on=day(5))
    amendment = {"subject": "budget_amendment", "budget": Decimal("38000"), "reason": "增加排水"}
    council_vote(step, project, voted_on=day(4), yes=20, **amendment)  # fails: 20 of 37
    step("accept_project", project, accepted_on=day(3), note="合格")
    with pytest.raises(RuleViolated, match="above the budget of ¥36000.00"):
        step("settle_project", project, actual=Decimal("37500"), settled_on=day(1))
    council_vote(step, project, voted_on=day(2), yes=25, **amendment)
    step("settle_project", project, actual=Decimal("37500"), settled_on=day(1))
    with pytest.raises(RuleViolated, match="before works start"):
        step("withdraw_project", project, reason="x")
