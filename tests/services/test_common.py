"""The envelope every event carries, and the command context it comes from."""

from datetime import datetime, timezone

import pytest

from services.bootstrap import bootstrap
from services.common.context import NoActor, acting
from services.residents.compound import Compound
from tests.conftest import BEIYUAN

BEIYUAN = dict(**BEIYUAN)


def test_an_event_outside_a_command_is_refused():
    with pytest.raises(NoActor):
        Compound.register(**BEIYUAN)


def test_every_event_carries_the_envelope_of_its_command():
    services = bootstrap()
    fixed = datetime(2026, 3, 12, 9, 0, tzinfo=timezone.utc)
    with acting("admin", clock=lambda: fixed) as context:
        compound = services.residents.register_compound(**BEIYUAN)
        branch = services.branch.establish_branch(
            compound_id=compound.aggregate_id, name="北苑小区党支部", mode="single")
    events = [
        app.mapper.to_domain_event(app.recorder.select_notifications(1, 1)[0])
        for app in (services.residents, services.branch)
    ]
    assert [e.originator_id for e in events] == [compound.aggregate_id, branch.aggregate_id]
    for event in events:
        assert event.compound_id == compound.aggregate_id
        assert event.actor == "admin"
        assert event.correlation_id == context.correlation_id == context.command_id
        assert event.causation_id == context.command_id
        assert event.timestamp == fixed
    assert events[0].event_id != events[1].event_id


def test_a_reaction_carries_the_correlation_and_cause_it_is_given():
    services = bootstrap()
    with acting("admin") as first:
        compound = services.residents.register_compound(**BEIYUAN)
    with acting("branch-policy", correlation_id=first.correlation_id, causation_id=compound.aggregate_id):
        receipt = services.branch.establish_branch(
            compound_id=compound.aggregate_id, name="北苑小区党支部", mode="single")
    event = services.branch.mapper.to_domain_event(services.branch.recorder.select_notifications(1, 1)[0])
    assert event.originator_id == receipt.aggregate_id
    assert event.correlation_id == first.correlation_id
    assert event.causation_id == compound.aggregate_id


def test_an_aggregate_keeps_its_compound_when_replayed_from_the_store():
    services = bootstrap()
    with acting("admin"):
        compound = services.residents.register_compound(**BEIYUAN)
        unit = services.owners_committee.register_exclusive_unit(
            compound_id=compound.aggregate_id, building="1栋", unit="101",
            exclusive_area="89.5", owner="田景余")
    replayed = services.owners_committee.repository.get(unit.aggregate_id)
    assert replayed.compound_id == compound.aggregate_id
    assert services.residents.repository.get(compound.aggregate_id).compound_id == compound.aggregate_id
