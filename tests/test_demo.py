"""The demo `siwei up` seeds, run against the real servers with the reactor beside it: what it
promises is there and queryable, and seeding twice changes nothing."""

from __future__ import annotations

from decimal import Decimal

from infra.demo import seed
from services.common.bodies import Body
from tests.conftest import wait_until


def test_the_demo_seeds_beiyuan_with_its_decisions_and_money(system):
    system.start_relay()
    system.start("reactor", "react")
    system.start_projector()
    seed(system.services)
    stored = {body: system.count(f"{body.schema}.{body.value}_events") for body in Body}
    seed(system.services)
    assert {body: system.count(f"{body.schema}.{body.value}_events") for body in Body} == stored

    def projected() -> bool:
        fees = system.query("SELECT count(*) FROM projections.fee_bills")
        return bool(fees) and fees[0][0] == 16 and system.query(
            "SELECT count(*) FROM projections.assembly_votes WHERE passed IS NOT NULL")[0][0] == 3

    wait_until(projected, "the demo to be projected")
    ((state, budget, actual, savings),) = system.query(
        "SELECT state, budget, actual, savings FROM projections.projects")
    assert (state, budget, actual, savings) == ("settled", Decimal("36000"), Decimal("34500"), Decimal("1500"))
    votes = dict(system.query("SELECT matter, passed FROM projections.assembly_votes"))
    assert votes == {"hire_property_company": True, "use_maintenance_fund": True, "change_common_parts": False}
    ((company, resolution_passed),) = system.query(
        "SELECT c.company_name, v.passed FROM projections.service_contracts c JOIN projections.assembly_votes v"
        " ON v.vote_id = c.resolution_id WHERE c.terminated_on IS NULL")
    assert (company, resolution_passed) == ("成都晋阳物业服务有限公司", True)
    rates = dict(system.query("SELECT period, sum(paid) / sum(amount) FROM projections.fee_bills GROUP BY period"))
    assert rates["2026-Q3"] > rates["2026-Q4"] > 0
