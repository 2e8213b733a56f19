"""The deadline watcher on the real servers: it finds overdue cases in the view and escalates
each tier once, however often it runs."""

import threading
from datetime import datetime, timedelta, timezone

from infra.deadlines import escalate_overdue
from infra.reactor import Reactor
from infra.relay import run_relays
from projections.projector import Projector
from services.common.context import acting
from tests.conftest import BEIYUAN

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def settle(system):
    for _ in range(2):
        run_relays(system.settings, threading.Event(), until_caught_up=True)
        Reactor(system.settings, system.services).run(threading.Event(), until_caught_up=True)
    Projector(system.settings).run(threading.Event(), until_caught_up=True)


def test_the_watcher_escalates_each_tier_once(system):
    services = system.services
    with acting("admin"):
        compound = services.residents.register_compound(
            **BEIYUAN).aggregate_id
    with acting(f"resident:{compound}:1栋101", clock=lambda: T0):
        late = services.residents.raise_case(compound_id=compound, category="safety",
                                             description="灭火器过期", location="1栋").aggregate_id
        on_time = services.residents.raise_case(compound_id=compound, category="parking_and_charging",
                                                description="充电桩坏了", location="车库").aggregate_id
    settle(system)

    day_two = T0 + timedelta(hours=30)
    assert escalate_overdue(system.settings, services, day_two) == 1  # the safety case only
    assert escalate_overdue(system.settings, services, day_two) == 0
    settle(system)
    assert system.query("SELECT case_id, escalated_to FROM projections.cases ORDER BY due_at") == [
        (late, "community"), (on_time, None)]
    assert escalate_overdue(system.settings, services, T0 + timedelta(hours=49)) == 1
    settle(system)
    assert escalate_overdue(system.settings, services, T0 + timedelta(days=30)) == 1  # parking, now long overdue
    settle(system)
    assert escalate_overdue(system.settings, services, T0 + timedelta(days=31)) == 0
    assert system.query("SELECT escalated_to FROM projections.cases ORDER BY due_at") == [("street",), ("street",)]
    steps = system.query("SELECT detail, actor FROM projections.case_steps WHERE case_id = %s"
                         " AND step = 'CaseEscalated' ORDER BY at, version", (late,))
    assert steps == [("community", "deadline-watcher"), ("street", "deadline-watcher")]
