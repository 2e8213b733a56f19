"""The bodies' policies through the real topics: the reactor as its own process."""

from services.branch.case_file import CaseFile
from services.common.context import acting
from services.property.work_order import WorkOrder
from tests.conftest import BEIYUAN, wait_until


def test_a_dispatch_becomes_a_work_order_and_its_acceptance_reaches_the_residents(system):
    services = system.services
    system.start_relay()
    system.start("reactor", "react")
    with acting("admin"):
        compound = services.residents.register_compound(
            **BEIYUAN).aggregate_id
    with acting(f"resident:{compound}:1栋101"):
        case = services.residents.raise_case(compound_id=compound, category="safety",
                                             description="楼道灭火器过期", location="1栋").aggregate_id
    wait_until(lambda: services.branch.exists(CaseFile, CaseFile.create_id(case)), "the branch to receive the case")

    with acting(f"body:branch:{compound}"):
        services.branch.dispatch_case(compound_id=compound, case_id=case, taker="property", assignee="晋阳物业")
    order = WorkOrder.create_id(case, 1)
    wait_until(lambda: services.property.exists(WorkOrder, order), "the work order to open")

    with acting(f"body:property:{compound}"):
        services.property.accept_work_order(compound_id=compound, work_order_id=order)
    wait_until(lambda: services.residents.repository.get(case).state == "taken", "the residents to note it")
    wait_until(lambda: services.branch.case_file(case).state == "accepted", "the branch to note it")
    assert system.query("SELECT count(*) FROM reactions.refused_reactions") == [(0,)]
