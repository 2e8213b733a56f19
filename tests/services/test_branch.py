"""The party branch and the shape of a compound's governance, in memory: establishment, members and
their roles, cross-appointments, and the five powers flowing across the bodies, each rule refused
with its reason."""

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from services.branch.powers import SupervisionNotice
from services.common.context import acting
from services.common.errors import InvalidInput, NotEntitled, NotFound, RuleViolated

TODAY = date(2026, 11, 20)
ADMIN, BRANCH = "admin", "body:branch:x"


def on(actor: str = BRANCH, day: date = TODAY):
    return acting(actor, clock=lambda: datetime(day.year, day.month, day.day, 4, tzinfo=timezone.utc))


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def register(services, name: str = "北苑小区", residents: int = 100):
    with on(ADMIN):
        return services.residents.register_compound(
            name=name, district="武侯区", street="晋阳街道", community="晋阳社区", households=40,
            residents=residents).aggregate_id


@pytest.fixture
def compound(services):
    return register(services)


@pytest.fixture
def branch(services, compound):
    with on(ADMIN):
        services.branch.establish_branch(compound_id=compound, name="北苑小区党支部", mode="single")
    return services.branch


def report(branch, compound, name, building="1栋", kind="resident", organisation=""):
    with on():
        return branch.report_member(compound_id=compound, name=name, building=building, kind=kind,
                                    organisation=organisation, reported_on=ago(30))[1]


def serve(services, compound):
    with on(ADMIN):
        company = services.property.register_company(name="晋阳物业", credit_code="91510107MA6CY8QK2D")
        services.property.take_up_service(compound_id=compound, company_id=company.aggregate_id,
                                          basis="preliminary", since=ago(400))


def elect_committee(services, compound, members=("王五", "赵六")):
    oc = services.owners_committee
    with on("body:owners_committee:x", ago(8)):  # voted and publicised a week before today
        for unit, owner in (("101", "王五"), ("102", "赵六")):
            oc.register_exclusive_unit(compound_id=compound, building="1栋", unit=unit,
                                       exclusive_area=Decimal("90"), owner=owner)
        vote = oc.open_vote(compound_id=compound, matter="elect_committee", title="选举业委会", description="换届",
                            closes_on=TODAY, candidates=list(members)).aggregate_id
        for unit in ("101", "102"):
            oc.cast_ballot(compound_id=compound, vote_id=vote, building="1栋", unit=unit, choice="yes",
                           channel="paper")
        oc.close_vote(compound_id=compound, vote_id=vote)
    with on("body:owners_committee:x"):
        oc.finalise_vote(compound_id=compound, vote_id=vote)
        oc.record_committee_election(compound_id=compound, resolution_id=vote, term_starts=TODAY,
                                     term_ends=date(2031, 11, 19))


# -- establishment -------------------------------------------------------------------------------

def test_a_compound_has_one_active_branch_and_gets_a_new_one_once_it_is_dissolved(services, compound, branch):
    with on(ADMIN), pytest.raises(RuleViolated, match="active party branch already: 北苑小区党支部"):
        branch.establish_branch(compound_id=compound, name="第二支部", mode="single")
    with on():
        branch.dissolve_branch(compound_id=compound, dissolved_on=TODAY, reason="合并调整")
        assert branch.present_bodies(compound) == {"residents"}
    with on(ADMIN):
        branch.establish_branch(compound_id=compound, name="北苑小区新支部", mode="single")
    assert branch.branch_of(compound).name == "北苑小区新支部"


def test_a_joint_branch_covers_its_neighbours_and_they_get_no_other(services, compound):
    neighbour = register(services, "南苑小区")
    with on(ADMIN):
        services.branch.establish_branch(compound_id=compound, name="南北苑联合党支部", mode="joint",
                                         joint_with=[neighbour])
        with pytest.raises(RuleViolated, match="active party branch already"):
            services.branch.establish_branch(compound_id=neighbour, name="南苑小区党支部", mode="single")
        with pytest.raises(RuleViolated, match="only a jointly established branch"):
            services.branch.establish_branch(compound_id=register(services, "东苑小区"), name="东苑", mode="single",
                                             joint_with=[register(services, "西苑小区")])
    member = report(services.branch, neighbour, "南苑的党员")
    assert services.branch.branch_of(compound).members[member]["lives_in"] == neighbour


def test_affiliation_names_the_organisation_and_a_mode_must_be_known(services, compound):
    with on(ADMIN):
        with pytest.raises(InvalidInput) as missing:
            services.branch.establish_branch(compound_id=compound, name="挂靠支部", mode="affiliated")
        assert missing.value.field == "affiliatedTo"
        with pytest.raises(InvalidInput, match="mode must be one of single, joint, affiliated"):
            services.branch.establish_branch(compound_id=compound, name="支部", mode="online")
        services.branch.establish_branch(compound_id=compound, name="挂靠支部", mode="affiliated",
                                         affiliated_to="晋阳社区党委")


def test_a_branch_with_members_is_not_dissolved(services, compound, branch):
    report(branch, compound, "张建国")
    with on(), pytest.raises(RuleViolated, match="1 members still report"):
        branch.dissolve_branch(compound_id=compound, dissolved_on=TODAY, reason="调整")


# -- members ---------------------------------------------------------------------------------------

def test_no_member_reports_to_a_compound_without_a_branch(services, compound):
    with on(), pytest.raises(RuleViolated, match="has no party branch"):
        services.branch.report_member(compound_id=compound, name="张建国", building="1栋", kind="resident",
                                      reported_on=TODAY)


def test_in_service_and_floating_members_name_their_organisation_and_nobody_reports_twice(services, compound, branch):
    with on():
        with pytest.raises(InvalidInput, match="workplace organisation"):
            branch.report_member(compound_id=compound, name="李明", building="2栋", kind="in_service",
                                 reported_on=TODAY)
        with pytest.raises(InvalidInput, match="transferred from"):
            branch.report_member(compound_id=compound, name="王芳", building="2栋", kind="floating",
                                 reported_on=TODAY)
        with pytest.raises(InvalidInput, match="in the future"):
            branch.report_member(compound_id=compound, name="王芳", building="2栋", kind="resident",
                                 reported_on=TODAY + timedelta(days=1))
    report(branch, compound, "李明", "2栋", "in_service", "武侯区税务局")
    with pytest.raises(RuleViolated, match="reports to the branch already"):
        report(branch, compound, "李明", "2栋")


def test_leaving_ends_every_role_but_the_secretary_is_replaced_first(services, compound, branch):
    secretary, member = report(branch, compound, "张建国"), report(branch, compound, "刘秀英")
    with on():
        branch.choose_branch_committee(compound_id=compound, secretary=secretary, members=[member], chosen_on=TODAY)
        group = branch.form_building_group(compound_id=compound, building="1栋", leader=member)[1]
        branch.designate_central_household(compound_id=compound, member_id=member, households=12)
        with pytest.raises(RuleViolated, match="is the secretary"):
            branch.release_member(compound_id=compound, member_id=secretary, how="left", left_on=TODAY,
                                  reason="搬离")
        with pytest.raises(InvalidInput) as no_destination:
            branch.release_member(compound_id=compound, member_id=member, how="transferred_out", left_on=TODAY,
                                  reason="转出")
        assert no_destination.value.field == "destination"
        branch.release_member(compound_id=compound, member_id=member, how="transferred_out",
                              destination="青羊区某社区党委", left_on=TODAY, reason="搬家")
        with pytest.raises(NotFound):
            branch.release_member(compound_id=compound, member_id=member, how="left", left_on=TODAY, reason="再次")
    state = branch.branch_of(compound)
    assert member not in state.members and state.committee == [secretary]
    assert state.groups[group]["members"] == set() and state.central_households == set()


def test_groups_are_one_per_building_with_members_of_that_compound(services, compound, branch):
    neighbour = register(services, "南苑小区")
    leader, other = report(branch, compound, "张建国"), report(branch, compound, "刘秀英", "2栋")
    with on():
        group = branch.form_building_group(compound_id=compound, building="1栋", leader=leader)[1]
        with pytest.raises(RuleViolated, match="has a party group already"):
            branch.form_building_group(compound_id=compound, building="1栋", leader=other)
        branch.assign_to_group(compound_id=compound, group_id=group, member_id=other)
        with pytest.raises(RuleViolated, match="in that group already"):
            branch.assign_to_group(compound_id=compound, group_id=group, member_id=other)
        with pytest.raises(RuleViolated, match="has no party branch"):
            branch.assign_to_group(compound_id=neighbour, group_id=group, member_id=other)
        with pytest.raises(InvalidInput, match="between 1 and 50"):
            branch.designate_central_household(compound_id=compound, member_id=other, households=0)
    assert branch.branch_of(compound).groups[group]["members"] == {leader, other}


def test_a_seat_on_the_owners_committee_needs_a_committee_in_office(services, compound, branch):
    member = report(branch, compound, "王五")
    with on(), pytest.raises(RuleViolated, match="no owners' committee in office"):
        branch.record_cross_appointment(compound_id=compound, member_id=member, body="owners_committee",
                                        seat="委员", since=TODAY)
    elect_committee(services, compound)
    with on():
        branch.record_cross_appointment(compound_id=compound, member_id=member, body="owners_committee",
                                        seat="主任", since=TODAY)
        with pytest.raises(RuleViolated, match="holds a seat on that body already"):
            branch.record_cross_appointment(compound_id=compound, member_id=member, body="owners_committee",
                                            seat="委员", since=TODAY)
        with pytest.raises(InvalidInput, match="body must be one of"):
            branch.record_cross_appointment(compound_id=compound, member_id=member, body="property",
                                            seat="经理", since=TODAY)
        branch.end_cross_appointment(compound_id=compound, member_id=member, body="owners_committee",
                                     ended_on=TODAY)
    assert branch.branch_of(compound).seats == set()


# -- the five powers -------------------------------------------------------------------------------

def test_a_joint_meeting_gathers_only_bodies_the_compound_has(services, compound, branch):
    meeting = dict(compound_id=compound, held_on=ago(3), topic="停车难", decisions=["划定临时车位"])
    with on():
        with pytest.raises(RuleViolated, match="no property company"):
            branch.hold_joint_meeting(bodies=["branch", "residents", "property"], attendees=[3, 5, 2], **meeting)
        with pytest.raises(RuleViolated, match="the branch convenes"):
            branch.hold_joint_meeting(bodies=["residents"], attendees=[5], **meeting)
        with pytest.raises(InvalidInput, match="one number for each body"):
            branch.hold_joint_meeting(bodies=["branch", "residents"], attendees=[5], **meeting)
    serve(services, compound)
    with on():
        branch.hold_joint_meeting(bodies=["branch", "residents", "property"], attendees=[3, 5, 2], **meeting)


def test_a_suggestion_is_answered_by_the_body_addressed_and_only_once(services, compound, branch):
    suggestion = dict(compound_id=compound, subject="垃圾清运", text="建议增加清运频次", made_on=ago(10),
                      answer_by=ago(1))
    with on(), pytest.raises(RuleViolated, match="no property company"):
        branch.make_suggestion(addressed_to="property", **suggestion)
    serve(services, compound)
    with on():
        with pytest.raises(RuleViolated, match="must be after"):
            branch.make_suggestion(addressed_to="property", **{**suggestion, "answer_by": ago(10)})
        made = branch.make_suggestion(addressed_to="property", **suggestion).aggregate_id
    answer = dict(compound_id=compound, suggestion_id=made, answered_on=TODAY)
    with on("body:owners_committee:x"), pytest.raises(NotEntitled, match="addressed to the property"):
        services.owners_committee.answer_suggestion(response="accepted", **answer)
    with on("body:property:x"):
        with pytest.raises(InvalidInput) as no_reason:
            services.property.answer_suggestion(response="declined", **answer)
        assert no_reason.value.field == "reason"
        with pytest.raises(RuleViolated, match="is before"):
            services.property.answer_suggestion(response="accepted", **{**answer, "answered_on": ago(11)})
        services.property.answer_suggestion(response="partly", reason="周末无法增加", **answer)
        with pytest.raises(RuleViolated, match="answered already"):
            services.property.answer_suggestion(response="accepted", **answer)
        with pytest.raises(NotFound):
            services.property.answer_suggestion(response="accepted", **{**answer, "compound_id": register(
                services, "南苑小区")})


def test_a_supervision_notice_closes_on_a_reported_rectification_or_reopens(services, compound, branch, pump):
    notice = dict(compound_id=compound, matter="消防通道堵塞", requirement="清理消防通道", issued_on=ago(20),
                  rectify_by=ago(5))
    with on():
        with pytest.raises(InvalidInput, match="addressedTo must be one of owners_committee, property"):
            branch.issue_supervision_notice(addressed_to="residents", **notice)
        with pytest.raises(RuleViolated, match="no owners' committee"):
            branch.issue_supervision_notice(addressed_to="owners_committee", **notice)
    serve(services, compound)
    with on():
        issued = branch.issue_supervision_notice(addressed_to="property", **notice).aggregate_id
        with pytest.raises(RuleViolated, match="once the property company reports"):
            branch.close_supervision_notice(compound_id=compound, notice_id=issued, note="已整改")
    with on("body:property:x"):
        services.property.report_rectification(compound_id=compound, notice_id=issued, report="已清理",
                                               reported_on=TODAY)
    pump.run()  # the branch notes the report
    with on():
        branch.reopen_supervision_notice(compound_id=compound, notice_id=issued, reason="复查仍有杂物",
                                         rectify_by=TODAY + timedelta(days=7))
    with on("body:property:x"):
        services.property.report_rectification(compound_id=compound, notice_id=issued, report="彻底清理",
                                               reported_on=TODAY)
        with pytest.raises(RuleViolated, match="reported already"):
            services.property.report_rectification(compound_id=compound, notice_id=issued, report="再报",
                                                   reported_on=TODAY)
    pump.run()
    with on():
        branch.close_supervision_notice(compound_id=compound, notice_id=issued, note="复查合格")
    closed = branch.load(SupervisionNotice, issued, "supervision notice")
    assert (closed.state, closed.round, pump.refused) == ("closed", 2, [])


def test_an_evaluation_takes_one_sheet_per_rater_and_publishes_its_verdict(services, compound, branch):
    with on(), pytest.raises(RuleViolated, match="no owners' committee"):
        branch.open_evaluation(compound_id=compound, evaluated="owners_committee", title="年度评议",
                               closes_on=TODAY)
    serve(services, compound)
    with on():
        evaluation = branch.open_evaluation(compound_id=compound, evaluated="property", title="2026年物业评议",
                                            closes_on=TODAY + timedelta(days=7)).aggregate_id
        with pytest.raises(RuleViolated, match="no sheet"):
            branch.publish_evaluation(compound_id=compound, evaluation_id=evaluation)
        for kind, rater, score in (("resident", "1栋101", 5), ("resident", "1栋102", 4), ("member", "张建国", 4)):
            branch.score_evaluation(compound_id=compound, evaluation_id=evaluation, rater_kind=kind, rater=rater,
                                    score=score)
        with pytest.raises(RuleViolated, match="one sheet each"):
            branch.score_evaluation(compound_id=compound, evaluation_id=evaluation, rater_kind="resident",
                                    rater="1栋101", score=1)
        with pytest.raises(InvalidInput, match="from 1 to 5"):
            branch.score_evaluation(compound_id=compound, evaluation_id=evaluation, rater_kind="resident",
                                    rater="2栋101", score=6)
        branch.publish_evaluation(compound_id=compound, evaluation_id=evaluation)
        with pytest.raises(RuleViolated, match="published"):
            branch.score_evaluation(compound_id=compound, evaluation_id=evaluation, rater_kind="resident",
                                    rater="2栋101", score=3)
    published = list(branch.events.get(evaluation))[-1]
    assert (type(published).__name__, published.average, published.sheets, published.residents,
            published.members, published.verdict) == ("EvaluationPublished", Decimal("4.33"), 3, 2, 1, "satisfied")


def test_an_activity_counts_active_members_only(services, compound, branch):
    member = report(branch, compound, "张建国")
    with on():
        with pytest.raises(RuleViolated, match="not an active member"):
            branch.record_activity(compound_id=compound, held_on=ago(2), title="主题党日",
                                   participants=[member, compound])
        with pytest.raises(InvalidInput, match="members or residents"):
            branch.record_activity(compound_id=compound, held_on=ago(2), title="主题党日", participants=[])
        branch.record_activity(compound_id=compound, held_on=ago(2), title="主题党日", participants=[member, member],
                               residents_attending=12)


def test_council_seats_are_the_residents_groups_own_record(services, compound):
    with on("body:residents:x"):
        services.residents.seat_council_member(compound_id=compound, name="李会长", role="会长", joined_on=ago(100))
        with pytest.raises(RuleViolated, match="sits on the council already"):
            services.residents.seat_council_member(compound_id=compound, name="李会长", role="委员", joined_on=TODAY)
        services.residents.unseat_council_member(compound_id=compound, name="李会长", left_on=TODAY, reason="届满")
        with pytest.raises(RuleViolated, match="no member of that name sits"):
            services.residents.unseat_council_member(compound_id=compound, name="李会长", left_on=TODAY, reason="x")


def test_bodies_are_present_while_established_and_gone_once_dissolved(services, compound, branch):
    with on():
        assert branch.present_bodies(compound) == {"residents", "branch"}
    serve(services, compound)
    elect_committee(services, compound)
    with on():
        assert branch.present_bodies(compound) == {"residents", "branch", "property", "owners_committee"}
    with on("body:property:x"):
        other = services.property.register_company(name="新物业", credit_code="91510107MA6CY8QK3E").aggregate_id
        with pytest.raises(RuleViolated, match="晋阳物业 serves the compound already"):
            services.property.take_up_service(compound_id=compound, company_id=other, basis="interim", since=TODAY)
        services.property.hand_over_service(compound_id=compound, until=TODAY, reason="合同到期")
        with pytest.raises(RuleViolated, match="no property company serves"):
            services.property.hand_over_service(compound_id=compound, until=TODAY, reason="再次")
    with on("body:owners_committee:x"):
        services.owners_committee.dissolve_committee(compound_id=compound, dissolved_on=TODAY, reason="成员集体辞职")
        with pytest.raises(RuleViolated, match="no owners' committee in office"):
            services.owners_committee.dissolve_committee(compound_id=compound, dissolved_on=TODAY, reason="再次")
    with on():
        assert branch.present_bodies(compound) == {"residents", "branch"}  # now a 双无 compound
        branch.attach_body(compound_id=compound, kind="supervisory_committee", name="北苑监委会")
        with pytest.raises(RuleViolated, match="attached already"):
            branch.attach_body(compound_id=compound, kind="supervisory_committee", name="北苑监委会")
        branch.detach_body(compound_id=compound, kind="supervisory_committee", name="北苑监委会")


def test_a_committee_whose_term_has_ended_is_not_in_office(services, compound):
    elect_committee(services, compound)
    with on():
        assert services.owners_committee.in_office(compound)
    with on(day=date(2031, 11, 20)):
        assert not services.owners_committee.in_office(compound)
