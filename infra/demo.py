"""The demo: compounds of Jinyang community (晋阳社区), Wuhou district, Chengdu, from the
seeds' report on the "five gardens" (五大花园). Names are the report's; household counts and
units are illustrative where the report gives none. Seeding twice changes nothing."""

from __future__ import annotations

from decimal import Decimal

from services.bootstrap import Services
from services.common.context import acting
from services.common.errors import RuleViolated

DISTRICT, STREET, COMMUNITY = "武侯区", "晋阳街道", "晋阳社区"

COMPOUNDS = [
    # name, households, residents, branch name or None
    ("北苑小区", 420, 1260, "北苑小区党支部"),
    ("红运花园", 3600, 12000, "红运花园小区党支部"),
]
BEIYUAN_UNITS = [
    ("1栋", "1单元101", Decimal("89.50"), "田景余"),
    ("1栋", "1单元102", Decimal("76.20"), "李秀英"),
    ("2栋", "2单元301", Decimal("102.80"), "王建国"),
]
PROPERTY_COMPANY = ("成都晋阳物业服务有限公司", "91510107MA6CY8QK2D")


def seed(services: Services) -> None:
    with acting("admin"):
        for name, households, residents, branch in COMPOUNDS:
            try:
                receipt = services.residents.register_compound(
                    name=name, district=DISTRICT, street=STREET, community=COMMUNITY,
                    households=households, residents=residents,
                )
            except RuleViolated:
                continue  # seeded before
            services.branch.establish_branch(compound_id=receipt.aggregate_id, name=branch, mode="single")
            if name == "北苑小区":
                for building, unit, area, owner in BEIYUAN_UNITS:
                    services.owners_committee.register_exclusive_unit(
                        compound_id=receipt.aggregate_id, building=building, unit=unit,
                        exclusive_area=area, owner=owner,
                    )
                services.property.register_company(name=PROPERTY_COMPANY[0], credit_code=PROPERTY_COMPANY[1])
