"""Cases across bodies (居民点单 → 小区派单 → 接单 → 群众评单), in memory, with the policies."""

from __future__ import annotations

from uuid import uuid4

import pytest

from services.branch.case_file import CaseFile
from services.common.context import acting
from services.common.errors import InvalidInput, NotEntitled, NotFound, RuleViolated
from services.property.work_order import WorkOrder
from tests.conftest import BEIYUAN

RESIDENT, BRANCH, PROPERTY = "resident:x:1栋101", "body:branch:x", "body:property:x"


@pytest.fixture
def compound(services):
    with acting("admin"):
        return services.residents.register_compound(
            **BEIYUAN).aggregate_id


@pytest.fixture
def case(services, pump, compound):
    with acting(RESIDENT):
        case_id = services.residents.raise_case(
            compound_id=compound, category="repairs", description="后大门坏了，关不上",
            location="后门").aggregate_id
    pump.run()
    return case_id


def work_order_of(services, case_id, dispatch_no=1):
    return services.property.repository.get(WorkOrder.create_id(case_id, dispatch_no))


def test_a_case_goes_from_a_resident_through_the_branch_and_the_property_company_and_back(
        services, pump, compound, case):
    case_file = services.branch.case_file(case)
    assert (case_file.state, case_file.category) == ("received", "repairs")
    raised = services.residents.repository.get(case).created_on
    assert (case_file.due_at - raised).total_seconds() == 72 * 3600

    with acting(BRANCH):
        services.branch.dispatch_case(compound_id=compound, case_id=case, taker="property", assignee="晋阳物业")
    pump.run()
    order = work_order_of(services, case)
    assert (order.state, order.compound_id) == ("open", services.branch.case_file(case).compound_id)

    with acting(PROPERTY):
        services.property.accept_work_order(compound_id=compound, work_order_id=order.id)
    pump.run()
    assert services.residents.repository.get(case).state == "taken"
    assert services.branch.case_file(case).state == "accepted"

    with acting(PROPERTY):
        services.property.record_work_order_progress(compound_id=compound, work_order_id=order.id, note="已订购门锁")
        services.property.resolve_work_order(compound_id=compound, work_order_id=order.id, summary="更换了门锁和合页")
    pump.run()
    assert services.residents.repository.get(case).state == "resolved"
    assert services.branch.case_file(case).state == "resolved"

    with acting(RESIDENT):
        services.residents.rate_case(compound_id=compound, case_id=case, score=5, comment="很快")
    pump.run()
    assert services.residents.repository.get(case).state == "closed"
    assert pump.refused == []


def test_a_refused_case_is_dispatched_again_and_a_poor_rating_reopens_it_once(services, pump, compound, case):
    with acting(BRANCH):
        services.branch.dispatch_case(compound_id=compound, case_id=case, taker="property", assignee="晋阳物业")
    pump.run()
    with acting(PROPERTY):
        services.property.refuse_work_order(compound_id=compound, work_order_id=work_order_of(services, case).id,
                                            reason="不属于物业服务范围")
    pump.run()
    assert services.branch.case_file(case).state == "refused"

    with acting(BRANCH):
        services.branch.dispatch_case(compound_id=compound, case_id=case, taker="party_member", assignee="田景余")
        services.branch.accept_case(compound_id=compound, case_id=case)
        services.branch.resolve_case(compound_id=compound, case_id=case, summary="联系施工单位修好")
    pump.run()
    assert services.residents.repository.get(case).state == "resolved"

    with acting(RESIDENT):
        services.residents.rate_case(compound_id=compound, case_id=case, score=2, comment="还是有响声")
    pump.run()
    assert services.residents.repository.get(case).state == "reopened"
    assert services.branch.case_file(case).state == "reopened"

    with acting(BRANCH):
        services.branch.dispatch_case(compound_id=compound, case_id=case, taker="volunteer_team", assignee="义务监督队")
        services.branch.accept_case(compound_id=compound, case_id=case)
        services.branch.resolve_case(compound_id=compound, case_id=case, summary="重新调整")
    pump.run()
    with acting(RESIDENT):
        services.residents.rate_case(compound_id=compound, case_id=case, score=1, comment="")
    pump.run()
    assert services.residents.repository.get(case).state == "closed"  # it reopens only once
    assert services.branch.case_file(case).dispatches == 3


def test_a_work_order_is_caused_by_its_dispatch(services, pump, compound, case):
    with acting(BRANCH) as command:
        services.branch.dispatch_case(compound_id=compound, case_id=case, taker="property", assignee="晋阳物业")
    pump.run()
    dispatched = services.branch.repository.get(CaseFile.create_id(case))
    opened = services.property.mapper.to_domain_event(
        services.property.recorder.select_notifications(1, 1)[0])
    dispatch_event = services.branch.mapper.to_domain_event(
        services.branch.recorder.select_notifications(dispatched.version, 1)[0])
    assert type(dispatch_event).__name__ == "CaseDispatched"
    assert opened.causation_id == dispatch_event.event_id
    assert opened.correlation_id == command.correlation_id
    assert opened.actor == "policy:property"


# -- what is refused ------------------------------------------------------------------------------

def test_bad_cases_are_refused_with_the_field(services, compound):
    with acting(RESIDENT):
        with pytest.raises(NotFound):
            services.residents.raise_case(compound_id=uuid4(), category="repairs",
                                          description="x", location="x")
        with pytest.raises(InvalidInput) as refused:
            services.residents.raise_case(compound_id=compound, category="noise", description="x",
                                          location="x")
        assert refused.value.field == "category"
        with pytest.raises(InvalidInput) as refused:
            services.residents.raise_case(compound_id=compound, category="repairs",
                                          description="   ", location="x")
        assert refused.value.field == "description"


def test_a_withdrawn_case_cannot_be_dispatched(services, pump, compound, case):
    with acting(RESIDENT):
        services.residents.withdraw_case(compound_id=compound, case_id=case, reason="自己修好了")
    pump.run()
    with acting(BRANCH), pytest.raises(RuleViolated, match="withdrawn"):
        services.branch.dispatch_case(compound_id=compound, case_id=case, taker="property", assignee="晋阳物业")


def test_a_case_cannot_be_withdrawn_once_taken(services, pump, compound, case):
    with acting(BRANCH):
        services.branch.dispatch_case(compound_id=compound, case_id=case, taker="party_member", assignee="田景余")
        services.branch.accept_case(compound_id=compound, case_id=case)
    pump.run()
    with acting(RESIDENT), pytest.raises(RuleViolated, match="only before it is taken"):
        services.residents.withdraw_case(compound_id=compound, case_id=case, reason="算了")


def test_ratings_come_after_resolution_once_and_from_one_to_five(services, pump, compound, case):
    with acting(RESIDENT), pytest.raises(RuleViolated, match="once it is resolved"):
        services.residents.rate_case(compound_id=compound, case_id=case, score=4)
    with acting(BRANCH):
        services.branch.dispatch_case(compound_id=compound, case_id=case, taker="party_member", assignee="田景余")
        services.branch.accept_case(compound_id=compound, case_id=case)
        services.branch.resolve_case(compound_id=compound, case_id=case, summary="修好")
    pump.run()
    with acting(RESIDENT):
        for score in (0, 6, 3.5, True):
            with pytest.raises(InvalidInput):
                services.residents.rate_case(compound_id=compound, case_id=case, score=score)
        services.residents.rate_case(compound_id=compound, case_id=case, score=4)
        with pytest.raises(RuleViolated, match="rated already"):
            services.residents.rate_case(compound_id=compound, case_id=case, score=5)


def test_only_the_body_a_case_was_dispatched_to_can_take_it(services, pump, compound, case):
    with acting(BRANCH):
        with pytest.raises(RuleViolated, match="not been dispatched"):
            services.branch.accept_case(compound_id=compound, case_id=case)
        services.branch.dispatch_case(compound_id=compound, case_id=case, taker="property", assignee="晋阳物业")
        with pytest.raises(RuleViolated, match="property company"):
            services.branch.accept_case(compound_id=compound, case_id=case)
        with pytest.raises(RuleViolated, match="when received, refused, referred or reopened"):
            services.branch.dispatch_case(compound_id=compound, case_id=case, taker="street", assignee="晋阳街道")
    with acting(PROPERTY), pytest.raises(NotFound):
        services.property.accept_work_order(compound_id=compound, work_order_id=WorkOrder.create_id(case, 2))


def test_repeated_events_change_nothing(services, pump, compound, case):
    """The topics deliver at least once: every reaction may see its event again."""
    with acting(BRANCH):
        services.branch.dispatch_case(compound_id=compound, case_id=case, taker="property", assignee="晋阳物业")
    pump.run()
    order = work_order_of(services, case)
    with acting(PROPERTY):
        services.property.accept_work_order(compound_id=compound, work_order_id=order.id)
    pump.run()
    versions = {app.body: app.recorder.max_notification_id() for app in (
        services.branch, services.residents, services.property)}
    pump.positions = {body: 0 for body in pump.positions}  # deliver everything again
    pump.run()
    assert versions == {app.body: app.recorder.max_notification_id() for app in (
        services.branch, services.residents, services.property)}
    assert pump.refused == []


def test_only_the_resident_who_raised_a_case_may_add_to_withdraw_or_rate_it(services, pump, compound, case):
    with acting("resident:x:2栋202"):
        for attempt in (
            lambda: services.residents.add_case_information(compound_id=compound, case_id=case, text="我也是"),
            lambda: services.residents.withdraw_case(compound_id=compound, case_id=case, reason="算了"),
            lambda: services.residents.rate_case(compound_id=compound, case_id=case, score=5),
        ):
            with pytest.raises(NotEntitled, match="only the resident who raised the case"):
                attempt()
    with acting(RESIDENT), pytest.raises(NotFound):
        services.residents.withdraw_case(compound_id=uuid4(), case_id=case, reason="算了")


# -- disputes and the mediation room (物业调解室) -------------------------------------------------

def raise_dispute(services, pump, compound, category="neighbour_dispute"):
    with acting(RESIDENT):
        case = services.residents.raise_case(compound_id=compound, category=category,
                                             description="楼上漏水", location="3栋").aggregate_id
    pump.run()
    with acting(BRANCH):
        services.branch.dispatch_case(compound_id=compound, case_id=case, taker="mediation_room",
                                      assignee="晋阳调解室")
        services.branch.accept_case(compound_id=compound, case_id=case)
    pump.run()
    return case


@pytest.mark.parametrize("outcome", ["agreement", "partial"])
def test_a_mediated_agreement_resolves_the_dispute(services, pump, compound, outcome):
    case = raise_dispute(services, pump, compound)
    with acting(BRANCH):
        services.branch.conclude_mediation(compound_id=compound, case_id=case, outcome=outcome,
                                           note="楼上负责维修")
    pump.run()
    assert services.branch.case_file(case).state == "resolved"
    assert services.residents.repository.get(case).state == "resolved"


def test_a_failed_mediation_refers_the_dispute_on(services, pump, compound):
    case = raise_dispute(services, pump, compound, "property_dispute")
    with acting(BRANCH):
        services.branch.conclude_mediation(compound_id=compound, case_id=case,
                                           outcome="failed_referred", note="双方不同意")
        assert services.branch.case_file(case).state == "referred"
        services.branch.dispatch_case(compound_id=compound, case_id=case, taker="street",
                                      assignee="晋阳街道司法所")
    pump.run()
    assert services.residents.repository.get(case).state == "taken"  # still being worked


def test_only_an_accepted_dispute_goes_to_and_comes_from_mediation(services, pump, compound, case):
    with acting(BRANCH):
        with pytest.raises(RuleViolated, match="only neighbour and property disputes"):
            services.branch.dispatch_case(compound_id=compound, case_id=case, taker="mediation_room",
                                          assignee="晋阳调解室")
        services.branch.dispatch_case(compound_id=compound, case_id=case, taker="party_member", assignee="田景余")
        services.branch.accept_case(compound_id=compound, case_id=case)
        with pytest.raises(RuleViolated, match="mediation room has accepted"):
            services.branch.conclude_mediation(compound_id=compound, case_id=case, outcome="agreement", note="x")
    dispute = raise_dispute(services, pump, compound)
    with acting(BRANCH), pytest.raises(InvalidInput) as refused:
        services.branch.conclude_mediation(compound_id=compound, case_id=dispute, outcome="maybe", note="x")
    assert refused.value.field == "outcome"
