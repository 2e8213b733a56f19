"""Deadlines by category (限期办结) and escalation one tier at a time (分级负责), by a clock the
test sets."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.branch.case_file import CaseFile
from services.common.context import acting
from tests.conftest import BEIYUAN

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def compound(services):
    with acting("admin"):
        return services.residents.register_compound(
            **BEIYUAN).aggregate_id


def raise_at(services, pump, compound, category, when=T0):
    with acting(f"resident:{compound}:1栋101", clock=lambda: when):
        case = services.residents.raise_case(compound_id=compound, category=category,
                                             description="问题", location="1栋").aggregate_id
    pump.run()
    return case


def escalate(services, case, at):
    with acting("deadline-watcher", clock=lambda: at):
        return services.branch.escalate_overdue_case(case_id=case)


def tiers(services, case):
    file_id = CaseFile.create_id(case)
    return [e.tier for e in services.branch.events.get(file_id) if type(e).__name__ == "CaseEscalated"]


@pytest.mark.parametrize("category, hours", [("safety", 24), ("repairs", 72), ("elderly_and_care_services", 72),
                                             ("parking_and_charging", 168), ("neighbour_dispute", 168)])
def test_each_category_has_its_deadline(services, pump, compound, category, hours):
    case = raise_at(services, pump, compound, category)
    assert services.branch.case_file(case).due_at == T0 + timedelta(hours=hours)
    assert escalate(services, case, T0 + timedelta(hours=hours) - timedelta(seconds=1)) is None
    assert escalate(services, case, T0 + timedelta(hours=hours)) is not None


def test_an_overdue_case_goes_up_one_tier_per_period_and_once_per_tier(services, pump, compound):
    case = raise_at(services, pump, compound, "repairs")
    due = T0 + timedelta(hours=72)
    assert escalate(services, case, due + timedelta(hours=1)) is not None
    assert escalate(services, case, due + timedelta(hours=2)) is None  # community already
    assert tiers(services, case) == ["community"]
    assert escalate(services, case, due + timedelta(hours=73)) is not None
    assert escalate(services, case, due + timedelta(days=30)) is None  # the street is the top
    assert tiers(services, case) == ["community", "street"]


def test_a_case_found_long_overdue_goes_through_every_tier_in_order(services, pump, compound):
    case = raise_at(services, pump, compound, "safety")
    escalate(services, case, T0 + timedelta(days=10))
    assert tiers(services, case) == ["community", "street"]


def test_a_resolved_or_withdrawn_case_does_not_escalate(services, pump, compound):
    resolved = raise_at(services, pump, compound, "safety")
    with acting(f"body:branch:{compound}", clock=lambda: T0 + timedelta(hours=1)):
        services.branch.dispatch_case(compound_id=compound, case_id=resolved, taker="party_member", assignee="田景余")
        services.branch.accept_case(compound_id=compound, case_id=resolved)
        services.branch.resolve_case(compound_id=compound, case_id=resolved, summary="换了灭火器")
    withdrawn = raise_at(services, pump, compound, "safety")
    with acting(f"resident:{compound}:1栋101"):
        services.residents.withdraw_case(compound_id=compound, case_id=withdrawn, reason="已处理")
    pump.run()
    for case in (resolved, withdrawn):
        assert escalate(services, case, T0 + timedelta(days=3)) is None
        assert tiers(services, case) == []
