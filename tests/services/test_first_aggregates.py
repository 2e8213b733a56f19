"""The first rules of the four bodies: what each refuses, and why."""

from decimal import Decimal
from uuid import uuid4

import pytest

from services.bootstrap import bootstrap
from services.common.context import acting
from services.common.errors import InvalidInput, NotFound, RuleViolated
from tests.conftest import BEIYUAN

BEIYUAN = dict(**BEIYUAN)


@pytest.fixture
def services():
    return bootstrap()


@pytest.fixture
def beiyuan(services):
    with acting("admin"):
        return services.residents.register_compound(**BEIYUAN).aggregate_id


@pytest.mark.parametrize("change, field", [
    ({"name": "  "}, "name"),
    ({"community": ""}, "community"),
    ({"households": -1}, "households"),
    ({"residents": 1.5}, "residents"),
    ({"name": "x" * 201}, "name"),
])
def test_a_compound_with_bad_details_is_refused(services, change, field):
    with acting("admin"), pytest.raises(InvalidInput) as refused:
        services.residents.register_compound(**{**BEIYUAN, **change})
    assert refused.value.field == field
    assert services.residents.recorder.max_notification_id() is None


def test_a_compound_is_registered_once_in_its_community(services, beiyuan):
    with acting("admin"):
        with pytest.raises(RuleViolated, match="already registered"):
            services.residents.register_compound(**BEIYUAN)
        other = services.residents.register_compound(**{**BEIYUAN, "community": "玉林东路社区"})
    assert other.aggregate_id != beiyuan
    assert services.residents.recorder.max_notification_id() == 2


def test_a_branch_needs_a_registered_compound_and_a_known_mode(services, beiyuan):
    with acting("admin"):
        with pytest.raises(NotFound):
            services.branch.establish_branch(compound_id=uuid4(), name="党支部", mode="single")
        with pytest.raises(InvalidInput) as refused:
            services.branch.establish_branch(compound_id=beiyuan, name="党支部", mode="alone")
        assert refused.value.field == "mode"
        receipt = services.branch.establish_branch(compound_id=beiyuan, name="北苑小区党支部", mode="joint")
    branch = services.branch.repository.get(receipt.aggregate_id)
    assert (branch.name, branch.mode, branch.compound_id) == ("北苑小区党支部", "joint", beiyuan)


@pytest.mark.parametrize("area", ["0", "-3", "abc", "100000.01"])
def test_an_exclusive_unit_needs_a_real_area(services, beiyuan, area):
    with acting("admin"), pytest.raises(InvalidInput) as refused:
        services.owners_committee.register_exclusive_unit(
            compound_id=beiyuan, building="1栋", unit="101", exclusive_area=area, owner="田景余")
    assert refused.value.field == "exclusiveArea"


def test_an_exclusive_unit_is_registered_once_with_its_area_to_the_hundredth(services, beiyuan):
    with acting("admin"):
        with pytest.raises(InvalidInput, match="exclusiveArea must have at most 2 decimals"):
            services.owners_committee.register_exclusive_unit(  # refused, never rounded
                compound_id=beiyuan, building="1栋", unit="101", exclusive_area="89.456", owner="田景余")
        receipt = services.owners_committee.register_exclusive_unit(
            compound_id=beiyuan, building="1栋", unit="101", exclusive_area="89.460", owner="田景余")
        with pytest.raises(RuleViolated, match="1栋-101 is already registered"):
            services.owners_committee.register_exclusive_unit(
                compound_id=beiyuan, building="1栋", unit="101", exclusive_area="70", owner="李秀英")
        with pytest.raises(NotFound):
            services.owners_committee.register_exclusive_unit(
                compound_id=uuid4(), building="1栋", unit="101", exclusive_area="70", owner="李秀英")
    unit = services.owners_committee.repository.get(receipt.aggregate_id)
    assert unit.exclusive_area == Decimal("89.46")
    assert unit.owner == "田景余"


@pytest.mark.parametrize("code", ["", "12345", "91510107MA6CY8QK2I", "91510107MA6CY8QK2DX"])
def test_a_property_company_needs_a_valid_credit_code(services, code):
    with acting("admin"), pytest.raises(InvalidInput) as refused:
        services.property.register_company(name="晋阳物业", credit_code=code)
    assert refused.value.field == "creditCode"


def test_a_property_company_belongs_to_no_compound(services):
    with acting("admin"):
        receipt = services.property.register_company(name="晋阳物业", credit_code="91510107ma6cy8qk2d")
    company = services.property.repository.get(receipt.aggregate_id)
    assert company.compound_id is None
    assert company.credit_code == "91510107MA6CY8QK2D"
