"""Owners' names sealed per person: stored as tokens, read back as names by the body's own service,
equal for the same person, and unreadable (but still one person) once erased."""

from __future__ import annotations

import pytest

from services.common.context import acting
from services.common.errors import NotFound
from services.common.personal import ERASED, is_sealed, person_of, shown
from services.owners_committee.exclusive_unit import ExclusiveUnit, OwnersRoll
from tests.conftest import BEIYUAN


@pytest.fixture
def compound(services):
    with acting("admin"):
        compound = services.residents.register_compound(**BEIYUAN).aggregate_id
        for unit, owner in (("101", "王建国"), ("102", "王建国"), ("103", "李秀英")):
            services.owners_committee.register_exclusive_unit(
                compound_id=compound, building="2栋", unit=unit, exclusive_area="90", owner=owner)
    return compound


def stored_owners(services) -> list[str]:
    oc = services.owners_committee
    return [oc.mapper.sealed(n).owner for n in oc.recorder.select_notifications(0, 100)
            if n.topic.endswith("ExclusiveUnitRegistered")]


def test_names_are_stored_sealed_and_read_back_by_the_body(services, compound):
    tokens = stored_owners(services)
    assert all(is_sealed(t) for t in tokens) and not any("王" in t or "李" in t for t in tokens)
    assert tokens[0] == tokens[1] != tokens[2]  # one buyer's two units: one person, one token
    unit = services.owners_committee.unit(compound, "2栋", "101")
    assert unit.owner == "王建国"


def test_erasing_makes_a_name_unreadable_but_keeps_the_person_one_person(services, compound):
    oc = services.owners_committee
    with acting("admin"):
        oc.erase_owner(compound_id=compound, owner="王建国", reason="本人申请")
    tokens = stored_owners(services)
    keys = oc.personal_keys.keys({person_of(t) for t in tokens})
    assert [shown(t, keys) for t in tokens] == [ERASED, ERASED, "李秀英"]
    # The service reads the token back: still equal for both units, so the headcount holds.
    units = [oc.unit(compound, "2栋", u) for u in ("101", "102", "103")]
    assert units[0].owner == units[1].owner == tokens[0] and units[2].owner == "李秀英"
    roll = oc.load(OwnersRoll, OwnersRoll.create_id(compound), "roll")
    assert roll.erased == [person_of(tokens[0])]

    with acting("admin"), pytest.raises(NotFound, match="erased already"):
        oc.erase_owner(compound_id=compound, owner="王建国", reason="再次")
    # Registered again later, the same name is a new person with a new key.
    with acting("admin"):
        oc.transfer_unit(compound_id=compound, building="2栋", unit="103", owner="王建国")
    new = oc.find(ExclusiveUnit, ExclusiveUnit.create_id(compound, "2栋", "103"))
    assert new.owner == "王建国"
    assert person_of(stored_owners(services)[0]) != oc.personal_keys.person(compound, "王建国")
